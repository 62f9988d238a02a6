# %% [markdown]
# # 2. Lines and circles
#
# **What you will learn.** Why a network with no hidden layer can only draw a straight line,
# why that fails on two concentric circles however long you train, and the two ways out:
# *lift* the inputs into a space where a straight line works (add `x1²` and `x2²`), or let
# the network learn its own features with one hidden layer. You will see each model's decision
# boundary, the lifted space where the circle becomes a line, and what each hidden unit draws.
#
# Reading time: about 15 minutes; the notebook runs in a few seconds.

# %%
import matplotlib.pyplot as plt
import numpy as np

import scratchnn as snn
from scratchnn import datasets
from scratchnn.plotting import model_predict_proba, plot_decision_boundary, plot_hidden_units

X, y = datasets.circles(n_samples=1000, noise=0.05, factor=0.5, random_state=0)
X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.25,
                                                             random_state=0)
print(X_train.shape, X_test.shape, "classes:", np.unique(y))


def accuracy(model, X, y, transform=None):
    """Fraction of points on the right side of the model's boundary (logit > 0 means class 1)."""
    inputs = X if transform is None else transform.transform(X)
    return float(np.mean((model.forward(inputs)[:, 0] > 0) == y))


# %% [markdown]
# The data set (the first of the two classic experiments): an inner disc of class 1 (orange)
# inside a ring of class 0 (blue), with a little noise.

# %%
fig, ax = plt.subplots(figsize=(4.2, 4.2))
ax.scatter(*X_train[y_train == 0].T, s=8, c="tab:blue", label="class 0 (ring)")
ax.scatter(*X_train[y_train == 1].T, s=8, c="tab:orange", label="class 1 (disc)")
ax.set_aspect("equal")
ax.legend(loc="upper right", fontsize=8)
ax.set_title("make_circles(noise=0.05, factor=0.5)")
plt.show()

# %% [markdown]
# ## No hidden layer: one straight line
#
# The smallest network is a single `Dense(2, 1)`: a logit `z = w1 x1 + w2 x2 + b`, and the
# prediction "class 1 where `z > 0`". The boundary `z = 0` is a straight line, so whatever the
# weights, one side of a line is orange and the other blue. No line puts a disc on one side and
# the ring around it on the other. We train it anyway, with full-batch gradient descent.

# %%
linear = snn.Sequential([snn.Dense(2, 1, rng=0)])
history = snn.fit(linear, X_train, y_train, lr=1.0, epochs=1000, rng=0)
linear_test = accuracy(linear, X_test, y_test)
print(f"final training loss {history.loss[-1]:.4f} (ln 2 = {np.log(2):.4f})")
print(f"test accuracy {linear_test:.3f}")
assert abs(history.loss[-1] - np.log(2)) < 0.01 and linear_test < 0.6

# %% [markdown]
# The loss ends at **ln 2 ≈ 0.693**, the loss of predicting `P = 0.5` for every point, and the
# test accuracy is at chance. The best the line can do is to sit where it hurts least, and
# on this symmetric data that means shrinking every weight towards zero and saying
# "I don't know" everywhere. This is not a training failure: it is the best straight line.

# %%
ax = plot_decision_boundary(model_predict_proba(linear), X_train, y_train, X_test, y_test,
                            title="no hidden layer, raw (x1, x2)")
plt.show()

# %% [markdown]
# ## Way out 1: lift the features
#
# The circle `x1² + x2² = r²` is not a line in `(x1, x2)`, but it *is* a line in
# `(x1², x2²)`: `1·u + 1·v = r²` with `u = x1²`, `v = x2²`. So give the same one-layer model
# the squares as extra inputs. `datasets.FeatureLift` computes TensorFlow Playground's input
# features; the model now sees four numbers per point, `(x1, x2, x1², x2²)`, and is still
# a single `Dense(4, 1)`: still a straight line (a plane), but in a space where one works.

# %%
lift = datasets.FeatureLift(["x1", "x2", "x1^2", "x2^2"]).fit(X_train)
lifted = snn.Sequential([snn.Dense(4, 1, rng=0)])
history_lift = snn.fit(lifted, lift.transform(X_train), y_train, lr=1.0, epochs=1000, rng=0)
lifted_test = accuracy(lifted, X_test, y_test, transform=lift)
print(f"final training loss {history_lift.loss[-1]:.4f}, test accuracy {lifted_test:.3f}")
assert lifted_test >= 0.99

# %% [markdown]
# Test accuracy 1.00 (or within a point of it). Two pictures of the same model: on the left,
# the lifted plane `(x1², x2²)`, where the data really is separated by a straight line (we draw
# the model's line there, with `x1` and `x2` set to 0, a fine approximation since their weights
# are small); on the right, the same boundary drawn back in `(x1, x2)`, where it is a circle.
# `plot_decision_boundary(..., transform=lift)` does that: it lifts every grid point before
# asking the model.

# %%
W, b = lifted.layers[0].W[:, 0], lifted.layers[0].b[0]
print("weights on (x1, x2, x1², x2²):", np.round(W, 2), " bias:", round(float(b), 2))

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
U = lift.transform(X_train)
left.scatter(U[y_train == 0, 2], U[y_train == 0, 3], s=8, c="tab:blue", label="class 0")
left.scatter(U[y_train == 1, 2], U[y_train == 1, 3], s=8, c="tab:orange", label="class 1")
u = np.linspace(0, U[:, 2].max(), 50)
left.plot(u, -(W[2] * u + b) / W[3], "k-", lw=2, label="the model's line (x1 = x2 = 0)")
left.set_xlim(0, U[:, 2].max())
left.set_ylim(0, U[:, 3].max())
left.set_xlabel("x1²")
left.set_ylabel("x2²")
left.set_title("lifted space: a straight line separates them")
left.legend(fontsize=8)
plot_decision_boundary(model_predict_proba(lifted, transform=lift), X_train, y_train,
                       X_test, y_test, ax=right, transform=None,
                       title="the same model in (x1, x2)")
plt.show()

# %% [markdown]
# The weights say it in numbers: both squares get large, nearly equal, *negative* weights
# (far from the centre means class 0), and `x1`, `x2` next to nothing.
#
# The catch: we had to know that circles call for squares. For the moons, or a spiral, which
# lift? A hidden layer answers that by learning the features from the data.
#
# ## Way out 2: one hidden layer
#
# `2 → 6 ReLU → 1`. Each hidden unit computes `max(0, w1 x1 + w2 x2 + b)`: zero on one side of
# its own straight line and a ramp on the other. The output adds six such ramps with weights
# of its own, so its boundary is made of straight pieces: a polygon.

# %%
hidden = snn.mlp([2, 6, 1], "relu", rng=0)
history_hidden = snn.fit(hidden, X_train, y_train, optimizer=snn.Adam(hidden.parameters(),
                         lr=0.02), epochs=300, batch_size=32, rng=0)
hidden_test = accuracy(hidden, X_test, y_test)
print(f"final training loss {history_hidden.loss[-1]:.4f}, test accuracy {hidden_test:.3f}")
assert hidden_test >= 0.98

# %%
fig = plot_hidden_units(hidden, X_train, y_train, title="2-6-1 ReLU on the circles")
plt.show()

# %% [markdown]
# Each small panel is one hidden unit over the plane: white where it is off (zero), orange
# where it is on, and the line between is that unit's own straight line. The last panel is the
# network's prediction: the hidden units' half-planes, weighed and added, fence in the disc.
#
# ## The three models side by side

# %%
fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
for ax, (model, transform, name) in zip(axes, [
        (linear, None, "no hidden layer"),
        (lifted, lift, "no hidden layer, lifted inputs"),
        (hidden, None, "one hidden layer of 6 ReLU")]):
    plot_decision_boundary(model_predict_proba(model, transform=transform), X_train, y_train,
                           X_test, y_test, ax=ax, title=name, colorbar=False, legend=False)
plt.show()

# %% [markdown]
# | model | parameters | test accuracy |
# | --- | --- | --- |
# | 2 → 1, raw inputs | 3 | at chance (about 0.5) |
# | 2 → 1 on `(x1, x2, x1², x2²)` | 5 | 1.00 |
# | 2 → 6 ReLU → 1 | 25 | 0.98 or better |
#
# The table's claims are checked by the `assert`s above. The lifted model is smaller and
# exact, because we told it the answer's shape; the hidden layer found a good-enough shape on
# its own, and the same network works on the moons, where no simple lift does.
#
# ## Exercises
#
# 1. **Too few units.** Train `2 → 2 ReLU → 1` and `2 → 3 ReLU → 1` on the circles (Adam,
#    lr 0.02, 300 epochs, batches of 32). How many straight pieces does a polygon around the
#    disc need at least? Do the accuracies agree?
# 2. **A different lift.** Use `FeatureLift(["x1*x2"])` alone (one input feature). Can a
#    single threshold on `x1·x2` separate the circles? What about the `xor` data set
#    (`datasets.xor`)?
# 3. **Tanh units.** Redraw the hidden units of a `2 → 6 tanh → 1` network. What changes in
#    the panels, and in the shape of the boundary?
#
# ## Solutions

# %% solution
# Exercise 1: a triangle needs 3 lines, so 3 units can fence in the disc; 2 cannot close it.
# Small networks get stuck easily, so each is trained from 5 initialisations (n_init=5).
scores = {}
for units in (2, 3):
    small = snn.mlp([2, units, 1], "relu", rng=0)
    snn.fit(small, X_train, y_train, optimizer=snn.Adam(small.parameters(), lr=0.05),
            epochs=600, batch_size=32, rng=0, n_init=5)
    scores[units] = accuracy(small, X_test, y_test)
    print(f"2-{units}-1: test accuracy {scores[units]:.3f}")
assert scores[2] < 0.9 and scores[3] >= 0.98

# %% solution
# Exercise 2: x1*x2 is symmetric around both axes, so it says nothing about the distance from
# the centre: chance on circles. On xor, the class *is* the sign of x1*x2: one threshold works.
product = datasets.FeatureLift(["x1*x2"]).fit(X_train)
for name, (Xd, yd) in {"circles": (X_train, y_train),
                       "xor": datasets.xor(600, noise=0.05, random_state=0)}.items():
    one = snn.Sequential([snn.Dense(1, 1, rng=0)])
    snn.fit(one, product.transform(Xd), yd, lr=1.0, epochs=500)
    print(f"{name}: training accuracy on x1*x2 alone {accuracy(one, Xd, yd, product):.3f}")

# %% solution
# Exercise 3: tanh units are never flat zero: each panel is blue on one side and orange on the
# other, with a smooth change across the unit's line; the boundary's corners are rounded.
smooth = snn.mlp([2, 6, 1], "tanh", rng=0)
snn.fit(smooth, X_train, y_train, optimizer=snn.Adam(smooth.parameters(), lr=0.02),
        epochs=300, batch_size=32, rng=0)
print(f"tanh: test accuracy {accuracy(smooth, X_test, y_test):.3f}")
fig = plot_hidden_units(smooth, X_train, y_train, title="2-6-1 tanh")
plt.show()
