# %% [markdown]
# # 1. Backpropagation by hand
#
# **What you will learn.** How a 2 → 4 ReLU → 1 network (the one that classifies the two
# moons) turns four points into a loss, and how the chain rule turns that loss back into a
# gradient for every weight. You will compute every array of the forward pass and every
# gradient of the backward pass yourself, in plain NumPy, print each one with its shape, and
# then check your numbers twice: against scratchnn's `Dense`, `ReLU` and `BinaryCrossEntropy`,
# and against finite differences, which need no calculus at all.
#
# Reading time: about 15 minutes. Everything runs in a second.

# %%
import matplotlib.pyplot as plt
import numpy as np

import scratchnn as snn
from scratchnn import datasets

np.set_printoptions(precision=4, suppress=True)


def show(name, array):
    """Print an array with its name and shape."""
    array = np.asarray(array)
    print(f"{name}  shape {array.shape}")
    print(array, end="\n\n")


# %% [markdown]
# ## The data: four points from the two moons
#
# We draw 200 points of the two-moons data set and keep four of them, two of each class, so
# that every array fits on the screen. `X` holds one point per row; `y` holds its class,
# 0 or 1.

# %%
X_all, y_all = datasets.moons(n_samples=200, noise=0.2, random_state=0)
rows = np.concatenate([np.flatnonzero(y_all == 0)[:2], np.flatnonzero(y_all == 1)[:2]])
X, y = X_all[rows], y_all[rows].astype(float)
show("X", X)
show("y", y)

# %%
fig, ax = plt.subplots(figsize=(5, 3.4))
ax.scatter(*X_all[y_all == 0].T, s=12, c="tab:blue", alpha=0.3, label="class 0")
ax.scatter(*X_all[y_all == 1].T, s=12, c="tab:orange", alpha=0.3, label="class 1")
ax.scatter(*X.T, s=140, c=np.where(y == 1, "tab:orange", "tab:blue"), edgecolors="black",
           linewidths=1.5, label="our batch of 4")
for i, (x1, x2) in enumerate(X):
    ax.annotate(f"  point {i}", (x1, x2), fontsize=9)
ax.set_xlabel("x1")
ax.set_ylabel("x2")
ax.set_title("Two moons, and the four points we follow")
ax.legend(loc="lower left", fontsize=8)
plt.show()

# %% [markdown]
# ## The network and its weights
#
# `Dense(2, 4)` holds a weight matrix `W` of shape `(2, 4)` (inputs × outputs) and a bias `b`
# of shape `(4,)`, and computes `x @ W + b`. The network is
# `Dense(2, 4) → ReLU → Dense(4, 1)`; its single output is a *logit* `z`, and the
# probability of class 1 is `sigmoid(z)`. We build it with a seeded random generator, then copy
# its weights into plain NumPy arrays so our hand computation shares nothing with the library
# except the starting numbers.

# %%
rng = np.random.default_rng(0)
model = snn.Sequential([snn.Dense(2, 4, rng=rng), snn.ReLU(), snn.Dense(4, 1, rng=rng)])
loss_fn = snn.BinaryCrossEntropy()

W1, b1 = model.layers[0].W.copy(), model.layers[0].b.copy()
W2, b2 = model.layers[2].W.copy(), model.layers[2].b.copy()
show("W1", W1)
show("b1", b1)
show("W2", W2)
show("b2", b2)

# %% [markdown]
# ## The forward pass
#
# | step | formula | shape |
# | --- | --- | --- |
# | first layer | `Z1 = X @ W1 + b1` | `(4, 4)`: 4 points × 4 hidden units |
# | ReLU | `A1 = max(Z1, 0)` | `(4, 4)` |
# | output layer | `Z2 = A1 @ W2 + b2` | `(4, 1)`: one logit per point |
# | probability | `P = sigmoid(Z2)` | `(4, 1)` |
# | loss | `L = mean(log(1 + e^Z2) - y Z2)` | a number |
#
# The bias `b1` has shape `(4,)` and is added to every row of `X @ W1`: NumPy *broadcasts*
# it. The loss is binary cross-entropy, `-[y log P + (1-y) log(1-P)]`, rewritten in terms of
# the logit: the two are equal, but `log(1 + e^z) - y z` can be computed without overflow as
# `max(z, 0) - y z + log1p(e^-|z|)`.

# %%
Z1 = X @ W1 + b1
A1 = np.maximum(Z1, 0)
Z2 = A1 @ W2 + b2
P = 1 / (1 + np.exp(-Z2))  # safe here: these logits are small (the library never does this)
yc = y[:, None]  # labels as a column, shape (4, 1), to match Z2
per_point = np.maximum(Z2, 0) - yc * Z2 + np.log1p(np.exp(-np.abs(Z2)))
L = per_point.mean()

show("Z1 = X @ W1 + b1", Z1)
show("A1 = max(Z1, 0)", A1)
show("Z2 = A1 @ W2 + b2 (logits)", Z2)
show("P = sigmoid(Z2)", P)
print(f"L = {L:.6f}")

# %% [markdown]
# The zeros in `A1` are hidden units that are *off* for that point: their input `Z1` was
# negative. They will matter in the backward pass, because no gradient flows through a unit
# that is off.
#
# ## The backward pass
#
# We want `dL/dW1`, `dL/db1`, `dL/dW2`, `dL/db2`. The chain rule walks the forward pass
# backwards, one step at a time; each step multiplies by the derivative of one operation:
#
# | step | formula | shape |
# | --- | --- | --- |
# | loss → logits | `dZ2 = (P - y) / n` | `(4, 1)` |
# | output weights | `dW2 = A1ᵀ @ dZ2`, `db2 = dZ2.sum(axis=0)` | `(4, 1)`, `(1,)` |
# | back through `W2` | `dA1 = dZ2 @ W2ᵀ` | `(4, 4)` |
# | back through ReLU | `dZ1 = dA1 * (Z1 > 0)` | `(4, 4)` |
# | first-layer weights | `dW1 = Xᵀ @ dZ1`, `db1 = dZ1.sum(axis=0)` | `(2, 4)`, `(4,)` |
#
# The first line is the reason losses take logits: the derivative of
# `log(1 + e^z) - y z` with respect to `z` is `sigmoid(z) - y = P - y`, and the `1/n` comes
# from the mean over the `n = 4` points.

# %%
n = X.shape[0]
dZ2 = (P - yc) / n
dW2 = A1.T @ dZ2
db2 = dZ2.sum(axis=0)
dA1 = dZ2 @ W2.T
dZ1 = dA1 * (Z1 > 0)
dW1 = X.T @ dZ1
db1 = dZ1.sum(axis=0)

for name, value in [("dZ2", dZ2), ("dW2", dW2), ("db2", db2), ("dA1", dA1), ("dZ1", dZ1),
                    ("dW1", dW1), ("db1", db1)]:
    show(name, value)

# %% [markdown]
# Two things to notice:
#
# * **Every gradient has the shape of the thing it is the gradient of**: `dW1` is `(2, 4)`
#   like `W1`. That is a good first check on any backward pass you write.
# * Where `Z1` was negative, `dZ1` is exactly zero: the ReLU blocks the gradient. A unit that
#   is off for *every* point gets no gradient at all and never learns; that is a "dead" unit,
#   one reason why the small moons network sometimes gets stuck.
#
# ## Check 1: against the library
#
# `model.forward` runs the same three layers; `loss_fn.backward()` returns `dL/dZ2`, and
# `model.backward` pushes it through the layers, leaving each `Dense`'s gradients in its `dW`
# and `db`.

# %%
logits = model.forward(X)
value = loss_fn.forward(logits, y)
model.backward(loss_fn.backward())

dense1, dense2 = model.layers[0], model.layers[2]
print(f"loss: by hand {L:.12f}, library {value:.12f}")
for name, mine, theirs in [("dW1", dW1, dense1.dW), ("db1", db1, dense1.db),
                           ("dW2", dW2, dense2.dW), ("db2", db2, dense2.db)]:
    difference = np.max(np.abs(mine - theirs))  # rounding: its digits differ by machine
    print(f"{name}: largest difference {'below 1e-14' if difference < 1e-14 else difference}")

assert np.isclose(L, value, rtol=1e-12)
assert np.allclose(logits, Z2, rtol=1e-12, atol=1e-15)
for mine, theirs in [(dW1, dense1.dW), (db1, dense1.db), (dW2, dense2.dW), (db2, dense2.db)]:
    assert np.allclose(mine, theirs, rtol=1e-10, atol=1e-15)

# %% [markdown]
# They agree to the last few digits of a float64. But the library and this notebook could
# share a mistake in the *maths*; the next check does not use any.
#
# ## Check 2: against finite differences
#
# The derivative of `L` with respect to one weight `w` is the slope of `L` as `w` moves, so
# we can *measure* it: nudge `w` up by a tiny `ε`, then down, and divide the change in loss by
# `2ε`. This centred difference is accurate to about `ε²`, needs nothing but the forward
# pass, and is how every gradient in scratchnn's test suite is checked.

# %%
def loss_of(W1, b1, W2, b2):
    """The forward pass again, as a function of the weights (no gradients)."""
    z2 = np.maximum(X @ W1 + b1, 0) @ W2 + b2
    return float(np.mean(np.maximum(z2, 0) - yc * z2 + np.log1p(np.exp(-np.abs(z2)))))


def finite_difference(params, k, eps=1e-6):
    """The gradient of loss_of with respect to params[k], one entry at a time."""
    grad = np.zeros_like(params[k])
    for index in np.ndindex(params[k].shape):
        up = [p.copy() for p in params]
        down = [p.copy() for p in params]
        up[k][index] += eps
        down[k][index] -= eps
        grad[index] = (loss_of(*up) - loss_of(*down)) / (2 * eps)
    return grad


def below(error, bound):
    """An error this small is rounding, whose digits differ from machine to machine: say the
    bound it is under (a wrong formula gives errors of order 1, printed as they are)."""
    return f"below 1e{round(np.log10(bound))}" if error < bound else f"{error:.1e}"


params = [W1, b1, W2, b2]
errors = {}
for k, (name, analytic) in enumerate([("dW1", dW1), ("db1", db1), ("dW2", dW2), ("db2", db2)]):
    numeric = finite_difference(params, k)
    errors[name] = snn.relative_error(analytic, numeric)
    print(f"{name}: relative error {below(errors[name], 1e-8)}")
assert max(errors.values()) < 1e-7

# %% [markdown]
# Relative errors below `1e-8` (around `1e-10`; the last digits are rounding and differ from
# machine to machine) mean that the two agree to about ten significant digits: the chain rule
# above is right. (A wrong formula, say forgetting the `1/n`, gives errors of order
# 1.) scratchnn wraps the same check in one call, `snn.check_model`, which the tests run for
# every layer and loss:

# %%
report = snn.check_model(model, loss_fn, X, y)
print({name: below(err, 1e-8) for name, err in report.items()})
assert max(report.values()) < 1e-6

# %% [markdown]
# ## What a gradient *is*, in one picture
#
# Take one weight, `W1[0, 0]`, move it over a range with everything else fixed, and draw the
# loss. The gradient we computed, `dW1[0, 0]`, is the slope of that curve at the current
# value: the dashed tangent line. Gradient descent steps *downhill* along it.

# %%
w0 = W1[0, 0]
ws = np.linspace(w0 - 2, w0 + 2, 201)
curve = []
for w in ws:
    W1_moved = W1.copy()
    W1_moved[0, 0] = w
    curve.append(loss_of(W1_moved, b1, W2, b2))
curve = np.array(curve)

fig, ax = plt.subplots(figsize=(6, 3.6))
ax.plot(ws, curve, lw=2, label="loss as W1[0, 0] moves")
ax.plot(ws, L + dW1[0, 0] * (ws - w0), "--", color="tab:red",
        label=f"tangent: slope dW1[0, 0] = {dW1[0, 0]:.3f}")
ax.scatter([w0], [L], color="black", zorder=3, label="current weight")
lr = 1.0
ax.annotate("", xy=(w0 - lr * dW1[0, 0], L - lr * dW1[0, 0] ** 2), xytext=(w0, L),
            arrowprops={"arrowstyle": "->", "lw": 2, "color": "tab:green"})
ax.set_xlabel("W1[0, 0]")
ax.set_ylabel("loss L")
ax.set_ylim(curve.min() - 0.05, curve.max() + 0.05)
ax.set_title("The gradient is the slope of the loss")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The curve has a kink wherever one of the four points switches hidden unit 0 on or off:
# a ReLU network's loss is smooth only piecewise. Near the current weight, though, the tangent
# is an excellent guide.
#
# ## One step of gradient descent
#
# Move every parameter a little against its gradient, `W -= lr * dW`, and the loss falls.
# `snn.SGD` does exactly this to every `(parameter, gradient)` pair that
# `model.parameters()` returns.

# %%
lr = 0.5
after_by_hand = loss_of(W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2)

opt = snn.SGD(model.parameters(), lr=lr)
opt.step()  # uses the gradients that model.backward left in dW and db
after_library = loss_fn.forward(model.forward(X), y)

print(f"loss before {L:.6f}, after one step: by hand {after_by_hand:.6f}, "
      f"library {after_library:.6f}")
assert after_by_hand < L
assert np.isclose(after_by_hand, after_library, rtol=1e-12)

# %% [markdown]
# Repeat this a few thousand times on all the points and you have trained the moons network:
# that loop is the whole of `snn.fit`, with mini-batches and bookkeeping around it.
#
# ## Exercises
#
# 1. **The input gradient.** Compute `dX = dZ1 @ W1ᵀ`, the gradient of the loss with respect
#    to the *inputs*, and compare it with `model.backward(grad, input_grad=True)`. (Training
#    never needs it; an adversarial example does.)
# 2. **Swap ReLU for tanh.** The derivative of `tanh` is `1 - tanh²`. Redo the backward pass
#    for `Dense → Tanh → Dense` by hand and check it with finite differences.
# 3. **How small should ε be?** Measure the finite-difference error of `dW1` for `ε` from
#    `1e-1` to `1e-12` and plot it on log-log axes. Why does it get *worse* below about
#    `1e-6`?
#
# Solutions follow (collapsed in Jupyter: click the cell to open it).
#
# ## Solutions

# %% solution
# Exercise 1: the input gradient.
dX = dZ1 @ W1.T
check = snn.Sequential([snn.Dense(2, 4), snn.ReLU(), snn.Dense(4, 1)])
check.set_weights([W1, b1, W2, b2])
fresh_loss = snn.BinaryCrossEntropy()
fresh_loss.forward(check.forward(X), y)
dX_library = check.backward(fresh_loss.backward(), input_grad=True)
show("dX", dX)
assert np.allclose(dX, dX_library)

# %% solution
# Exercise 2: tanh instead of ReLU.
def tanh_loss(W1, b1, W2, b2):
    z2 = np.tanh(X @ W1 + b1) @ W2 + b2
    return float(np.mean(np.maximum(z2, 0) - yc * z2 + np.log1p(np.exp(-np.abs(z2)))))


A1t = np.tanh(X @ W1 + b1)
Z2t = A1t @ W2 + b2
dZ2t = (1 / (1 + np.exp(-Z2t)) - yc) / n
dZ1t = (dZ2t @ W2.T) * (1 - A1t**2)  # the only line that changes: tanh' = 1 - tanh^2
dW1t = X.T @ dZ1t

numeric = np.zeros_like(W1)
for index in np.ndindex(W1.shape):
    up, down = W1.copy(), W1.copy()
    up[index] += 1e-6
    down[index] -= 1e-6
    numeric[index] = (tanh_loss(up, b1, W2, b2) - tanh_loss(down, b1, W2, b2)) / 2e-6
print(f"tanh network, dW1 relative error: {below(snn.relative_error(dW1t, numeric), 1e-8)}")
assert snn.relative_error(dW1t, numeric) < 1e-7

# %% solution
# Exercise 3: the error of finite differences against epsilon.
epsilons = np.logspace(-1, -12, 23)
errs = [snn.relative_error(dW1, finite_difference(params, 0, eps)) for eps in epsilons]
fig, ax = plt.subplots(figsize=(5, 3.2))
ax.loglog(epsilons, errs, "o-")
ax.set_xlabel("ε")
ax.set_ylabel("relative error of dW1")
ax.set_title("Truncation error (right) against rounding error (left)")
ax.invert_xaxis()
plt.show()
# Large eps: the curve is not a straight line over [w - eps, w + eps] (error ~ eps^2, and the
# ReLU kinks make it worse). Small eps: L(w + eps) - L(w - eps) subtracts two nearly equal
# numbers, each with rounding error ~1e-16, so the difference's error grows like 1e-16 / eps.
assert min(errs) < 1e-8 and errs[-1] > 100 * min(errs)
