# %% [markdown]
# # 3. Optimizers: how the steps are taken
#
# **What you will learn.** What plain gradient descent, momentum, Nesterov momentum, RMSprop
# and Adam each do with a gradient, seen as paths on two loss surfaces you can draw: a long
# narrow valley (an ill-conditioned quadratic) and the curved Rosenbrock valley. Then the same
# five on the moons network, and learning-rate schedules. Every step below is taken by
# scratchnn's own optimizer classes: an optimizer only needs `(parameter, gradient)` pairs of
# NumPy arrays, so a 2-vector works as well as a network.
#
# Reading time: about 15 minutes; the notebook runs in a few seconds.

# %%
import matplotlib.pyplot as plt
import numpy as np

import scratchnn as snn
from scratchnn import datasets


def quadratic(p):
    """An elongated bowl: curvature 1 along x, 25 along y (condition number 25)."""
    x, y = p
    return 0.5 * (x**2 + 25 * y**2), np.array([x, 25 * y])


def rosenbrock(p):
    """A curved valley with its minimum at (1, 1)."""
    x, y = p
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2, np.array(
        [-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


def descend(f, make_optimizer, start, steps):
    """Run an optimizer on f from start; return the path (steps + 1, 2) and the final loss."""
    p = np.array(start, dtype=float)
    g = np.zeros(2)
    optimizer = make_optimizer([(p, g)])  # the same (param, grad) pairs a model hands over
    path = [p.copy()]
    for _ in range(steps):
        g[:] = f(p)[1]  # write the gradient in place, as model.backward does
        optimizer.step()  # updates p in place
        path.append(p.copy())
    return np.array(path), f(p)[0]


# %% [markdown]
# ## The five update rules
#
# With gradient `g` and learning rate `lr` (PyTorch's rules, which scratchnn follows):
#
# | optimizer | update |
# | --- | --- |
# | SGD | `p -= lr * g` |
# | momentum `m` | `v = m v + g`; `p -= lr * v` (a running sum of past gradients) |
# | Nesterov | `v = m v + g`; `p -= lr * (g + m v)` (looks one step ahead) |
# | RMSprop | `s = α s + (1-α) g²`; `p -= lr * g / (√s + ε)` (per-coordinate step sizes) |
# | Adam | momentum on `g` *and* RMSprop's `s`, both bias-corrected |
#
# ## A narrow valley
#
# `f(x, y) = ½ (x² + 25 y²)`. Along `y` the bowl is 25 times steeper than along `x`. Plain
# gradient descent is stable only for `lr < 2/25 = 0.08` (a larger step overshoots across the
# steep direction and grows); at that rate the shallow `x` direction shrinks by only 8% a step.
# That tension is what every method below tries to ease.

# %%
OPTIMIZERS = {
    "SGD, lr 0.075": lambda ps: snn.SGD(ps, lr=0.075),
    "momentum 0.6, lr 0.05": lambda ps: snn.SGD(ps, lr=0.05, momentum=0.6),
    "Nesterov 0.6, lr 0.05": lambda ps: snn.SGD(ps, lr=0.05, momentum=0.6, nesterov=True),
    "RMSprop, lr 0.2": lambda ps: snn.RMSprop(ps, lr=0.2),
    "Adam, lr 0.3": lambda ps: snn.Adam(ps, lr=0.3),
}
COLORS = ["tab:gray", "tab:blue", "tab:purple", "tab:green", "tab:red"]
START, STEPS = (-4.5, 1.5), 50

paths, final = {}, {}
for name, make in OPTIMIZERS.items():
    paths[name], final[name] = descend(quadratic, make, START, STEPS)
    print(f"{name:24s} loss after {STEPS} steps: {final[name]:.1e}")

# %%
xs, ys = np.meshgrid(np.linspace(-5, 5, 300), np.linspace(-2, 2, 200))
zs = 0.5 * (xs**2 + 25 * ys**2)
fig, ax = plt.subplots(figsize=(10, 4.4))
ax.contour(xs, ys, zs, levels=np.geomspace(0.01, 60, 14), colors="0.75", linewidths=0.8)
for (name, path), color in zip(paths.items(), COLORS):
    ax.plot(path[:, 0], path[:, 1], "o-", ms=2.5, lw=1.2, color=color, label=name)
ax.plot(0, 0, "k*", ms=12)
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_title(f"{STEPS} steps on ½(x² + 25y²) from {START}")
ax.legend(loc="lower right", fontsize=8)
plt.show()

# %% [markdown]
# What the paths show:
#
# * **SGD** (grey) bounces across the valley, because its rate is nearly too large for `y`,
#   and still creeps along `x`, because it is far too small there.
# * **Momentum** (blue) keeps a running sum of gradients: the bounces across the valley
#   cancel out, the steady pull along it adds up. Same steepness, much faster progress.
# * **Nesterov** (purple) evaluates the correction a step ahead and overshoots less.
# * **RMSprop** (green) divides each coordinate's step by that coordinate's typical gradient
#   size, so both directions move at about the same speed: on a bowl whose axes are the
#   coordinate axes, that is exactly the right fix, and it wins by orders of magnitude.
# * **Adam** (red) is momentum plus RMSprop's scaling; its steps have a size close to `lr`
#   whatever the gradient, so near the bottom it circles at the scale of its learning rate
#   rather than settling (see the exercise on schedules).
#
# Checked numbers (the `assert` below): momentum ends far below plain SGD, and RMSprop far
# below both.

# %%
assert final["momentum 0.6, lr 0.05"] < final["SGD, lr 0.075"] / 100
assert final["RMSprop, lr 0.2"] < final["momentum 0.6, lr 0.05"] / 100

# %% [markdown]
# ## The Rosenbrock valley
#
# `f(x, y) = (1 - x)² + 100 (y - x²)²` has a curved, flat-bottomed valley along `y = x²`,
# with the minimum at `(1, 1)`. Finding the valley is easy; following it is hard, because the
# gradient points mostly *across* it. 2000 steps each from `(-1.5, 2)`:

# %%
ROSEN = {
    "SGD, lr 0.001": lambda ps: snn.SGD(ps, lr=0.001),
    "momentum 0.9, lr 0.0005": lambda ps: snn.SGD(ps, lr=0.0005, momentum=0.9),
    "Nesterov 0.9, lr 0.0005": lambda ps: snn.SGD(ps, lr=0.0005, momentum=0.9, nesterov=True),
    "RMSprop, lr 0.01": lambda ps: snn.RMSprop(ps, lr=0.01),
    "Adam, lr 0.05": lambda ps: snn.Adam(ps, lr=0.05),
}
rosen_paths, rosen_final = {}, {}
for name, make in ROSEN.items():
    rosen_paths[name], rosen_final[name] = descend(rosenbrock, make, (-1.5, 2.0), 2000)
    x, y = rosen_paths[name][-1]
    print(f"{name:26s} ends at ({x:.3f}, {y:.3f}), loss {rosen_final[name]:.1e}")

xs, ys = np.meshgrid(np.linspace(-2, 2, 300), np.linspace(-1, 3, 300))
zs = (1 - xs) ** 2 + 100 * (ys - xs**2) ** 2
fig, ax = plt.subplots(figsize=(7, 5.5))
ax.contour(xs, ys, zs, levels=np.geomspace(0.1, 2000, 16), colors="0.75", linewidths=0.8)
for (name, path), color in zip(rosen_paths.items(), COLORS):
    ax.plot(path[:, 0], path[:, 1], "-", lw=1.5, color=color, label=name)
ax.plot(1, 1, "k*", ms=14, label="minimum (1, 1)")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_title("2000 steps on the Rosenbrock function")
ax.legend(fontsize=8, loc="upper right")
plt.show()
assert rosen_final["momentum 0.9, lr 0.0005"] < rosen_final["SGD, lr 0.001"] / 100
assert np.allclose(rosen_paths["Adam, lr 0.05"][-1], [1, 1], atol=1e-3)

# %% [markdown]
# SGD drops into the valley and then crawls; its steps along the flat floor are tiny. The
# momentum methods build up speed along the floor and reach the minimum; Adam gets there too
# (to three decimals, checked above). RMSprop, without momentum, zig-zags down the valley
# more slowly.
#
# ## On a real network: the moons
#
# Surfaces in two dimensions are for intuition; a network has many parameters and the loss is
# measured on data. Here is the 2 → 16 ReLU → 1 network on 500 moons points, trained full-batch
# from the *same* initial weights with each optimizer, 300 epochs each.

# %%
X, y = datasets.moons(500, noise=0.2, random_state=0)
initial = snn.mlp([2, 16, 1], "relu", rng=0).get_weights()
NETWORK = {
    "SGD, lr 0.5": lambda ps: snn.SGD(ps, lr=0.5),
    "momentum 0.9, lr 0.1": lambda ps: snn.SGD(ps, lr=0.1, momentum=0.9),
    "Nesterov 0.9, lr 0.1": lambda ps: snn.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "RMSprop, lr 0.01": lambda ps: snn.RMSprop(ps, lr=0.01),
    "Adam, lr 0.02": lambda ps: snn.Adam(ps, lr=0.02),
}
curves = {}
for name, make in NETWORK.items():
    model = snn.mlp([2, 16, 1], "relu", rng=0)
    model.set_weights(initial)
    curves[name] = snn.fit(model, X, y, optimizer=make(model.parameters()), epochs=300).loss

fig, ax = plt.subplots(figsize=(7, 4))
for (name, curve), color in zip(curves.items(), COLORS):
    ax.plot(np.arange(1, 301), curve, color=color, label=name)
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.set_title("2-16-1 ReLU on moons, same start, full batch")
ax.legend(fontsize=8)
plt.show()
for name, curve in curves.items():
    print(f"{name:22s} loss after 300 epochs {curve[-1]:.4f}")
assert curves["momentum 0.9, lr 0.1"][-1] < curves["SGD, lr 0.5"][-1]

# %% [markdown]
# Each optimizer was given a learning rate that suits it (a rate good for Adam is far too
# small for SGD, and the other way round), so compare the *shapes* of the curves more than
# their order. The adaptive methods drop fast at the start; momentum overtakes plain SGD,
# which is the slowest here (checked above).
#
# ## Learning-rate schedules
#
# A large rate is good early (big moves) and bad late (rattling around the minimum). A
# schedule lowers it as training goes; `fit(..., schedule=...)` steps it once per epoch.
# `lr_at(epoch)` tells you the rate a schedule gives without training anything:

# %%
def make_schedule(kind):
    opt = snn.SGD([(np.zeros(1), np.zeros(1))], lr=0.1)
    return {"StepLR(step_size=30, gamma=0.5)": snn.StepLR(opt, step_size=30, gamma=0.5),
            "ExponentialLR(gamma=0.97)": snn.ExponentialLR(opt, gamma=0.97),
            "InverseScalingLR(power_t=0.5)": snn.InverseScalingLR(opt, power_t=0.5),
            "ConstantLR": snn.ConstantLR(opt)}[kind]


epochs = np.arange(150)
fig, ax = plt.subplots(figsize=(7, 3.6))
for kind in ["ConstantLR", "StepLR(step_size=30, gamma=0.5)", "ExponentialLR(gamma=0.97)",
             "InverseScalingLR(power_t=0.5)"]:
    schedule = make_schedule(kind)
    ax.plot(epochs, [schedule.lr_at(int(e)) for e in epochs], label=kind)
ax.set_xlabel("epoch")
ax.set_ylabel("learning rate")
ax.set_yscale("log")
ax.set_title("Schedules starting from lr = 0.1")
ax.legend(fontsize=8)
plt.show()
assert make_schedule("StepLR(step_size=30, gamma=0.5)").lr_at(60) == 0.1 * 0.25

# %% [markdown]
# `ReduceLROnPlateau` is the odd one out: it watches the loss and cuts the rate only when the
# loss stops improving, so it has no fixed curve to draw.
#
# ## Exercises
#
# 1. **Rotate the valley.** Turn the quadratic by 45° (`f(p) = ½ pᵀ A p` with
#    `A = R diag(1, 25) Rᵀ`) and rerun the five optimizers. RMSprop was the winner on the
#    axis-aligned bowl; is it still? Why?
# 2. **Too large a rate.** Run plain SGD on the quadratic with `lr = 0.085`, just above
#    `2/25`. What happens to `y`, and why does `x` not care?
# 3. **Calm Adam down.** Adam kept circling near the minimum of the quadratic. Wrap it in an
#    `ExponentialLR(gamma=0.95)` schedule, stepped after every step, and compare the final loss.
#
# ## Solutions

# %% solution
# Exercise 1: RMSprop scales each *coordinate*; once the steep direction is diagonal, both
# coordinates see large gradients, and the per-coordinate scaling no longer matches the valley.
c, s = np.cos(np.pi / 4), np.sin(np.pi / 4)
R = np.array([[c, -s], [s, c]])
A = R @ np.diag([1.0, 25.0]) @ R.T


def rotated(p):
    return 0.5 * p @ A @ p, A @ p


start = R @ np.array(START)
for name, make in OPTIMIZERS.items():
    print(f"{name:24s} rotated valley, loss after {STEPS} steps: "
          f"{descend(rotated, make, start, STEPS)[1]:.1e}")

# %% solution
# Exercise 2: along y each step multiplies by (1 - 25 lr) = -1.125: the sign flips and the size
# grows by 12.5% a step. Along x the factor is 1 - lr = 0.915, which still shrinks.
path, _ = descend(quadratic, lambda ps: snn.SGD(ps, lr=0.085), START, 50)
print("y over the last steps:", np.round(path[-4:, 1], 1), " x:", np.round(path[-1, 0], 4))

# %% solution
# Exercise 3: a schedule stepped every step (here we step it by hand).
p, g = np.array(START), np.zeros(2)
adam = snn.Adam([(p, g)], lr=0.3)
decay = snn.ExponentialLR(adam, gamma=0.95)
for _ in range(STEPS):
    g[:] = quadratic(p)[1]
    adam.step()
    decay.step()
print(f"Adam with a decaying rate: loss {quadratic(p)[0]:.1e} "
      f"(without: {final['Adam, lr 0.3']:.1e})")
# About half: the circling shrinks with the rate. Decay much faster (gamma=0.9) and the rate
# is gone before Adam has arrived: the loss ends *higher*. A schedule is a second knob to tune.
assert quadratic(p)[0] < final["Adam, lr 0.3"]
