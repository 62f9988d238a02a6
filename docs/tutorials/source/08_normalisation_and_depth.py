# %% [markdown]
# # 8. Normalisation and depth
#
# **What you will learn.** Why a deep stack of tanh layers can learn nothing at all (its
# gradient fades on the way back: the training doctor says so), how batch normalisation
# (`BatchNorm1D`) gives every layer inputs of a healthy size again, what its running statistics
# do at prediction time, and how a residual block (`Residual`) lets the gradient skip along a
# shortcut.
#
# Reading time: about 15 minutes; the notebook runs in well under a minute.

# %%
import matplotlib.pyplot as plt
import numpy as np

import scratchnn as snn
from scratchnn import datasets, plotting

X, y = datasets.digits_images()
X = X.reshape(len(X), -1)  # the 64 pixels as a flat vector: dense networks only here
X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.25,
                                                             random_state=0)
DEPTH, WIDTH = 16, 32


def small_init(n_in, n_out, rng, dtype=np.float64):
    """Weights a little too small: N(0, (0.3 / sqrt(n_in))^2). Each tanh layer then shrinks
    what passes through it, forward and backward."""
    return (rng.standard_normal((n_in, n_out)) * 0.3 / np.sqrt(n_in)).astype(dtype)


def test_accuracy(model):
    return np.mean(model.predict(X_test) == y_test)

# %% [markdown]
# ## Sixteen tanh layers that learn nothing
#
# Sixteen hidden layers of 32 tanh units on the digits, with initial weights a little too
# small. Every layer multiplies the gradient on its way back by its weights and by tanh's slope
# (at most 1): a factor below 1 sixteen times over is almost nothing. `TrainingDoctor` watches
# the run and compares the first layer's gradient with the last one's.

# %%
rng = np.random.default_rng(0)
layers, n_in = [], 64
for _ in range(DEPTH):
    layers += [snn.Dense(n_in, WIDTH, rng=rng, init=small_init), snn.Tanh()]
    n_in = WIDTH
plain = snn.Sequential([*layers, snn.Dense(WIDTH, 10, rng=rng, init=small_init)])

doctor = snn.TrainingDoctor()
history = snn.fit(plain, X_train, y_train, lr=0.1, epochs=30, batch_size=64, rng=0,
                  callbacks=[doctor])
print(history)
print(f"test accuracy {test_accuracy(plain):.3f}")
assert "vanishing_gradients" in doctor.kinds and test_accuracy(plain) < 0.2

plotting.plot_diagnostics(doctor)
plt.show()

# %% [markdown]
# A test accuracy of one in ten is guessing. The picture shows each layer's gradient norm per
# epoch: the first layers' are orders of magnitude below the last ones'.
#
# ## Batch normalisation
#
# `BatchNorm1D(32)` after each `Dense` standardises each unit over the batch (mean 0, variance
# 1), then scales and shifts it by two learned numbers, `gamma` and `beta`. Whatever the size of
# the weights, every tanh now gets inputs of unit size, where its slope is large, and the
# gradient keeps its size on the way back. Same depth, same too-small weights:

# %%
rng = np.random.default_rng(0)
layers, n_in = [], 64
for _ in range(DEPTH):
    layers += [snn.Dense(n_in, WIDTH, rng=rng, init=small_init), snn.BatchNorm1D(WIDTH),
               snn.Tanh()]
    n_in = WIDTH
normalised = snn.Sequential([*layers, snn.Dense(WIDTH, 10, rng=rng, init=small_init)])

doctor = snn.TrainingDoctor()
history = snn.fit(normalised, X_train, y_train, lr=0.1, epochs=30, batch_size=64, rng=0,
                  callbacks=[doctor])
print(history)
normalised_accuracy = test_accuracy(normalised)
print(f"test accuracy {normalised_accuracy:.3f}")
assert "vanishing_gradients" not in doctor.kinds and normalised_accuracy > 0.6

# %% [markdown]
# The doctor is silent and the network learns. At prediction time there is no batch to
# standardise with: `predict` switches the model to evaluation mode (`model.eval()`), where each
# `BatchNorm1D` uses running averages of the batch means and variances it saw in training
# (`running = 0.9 running + 0.1 batch`). Do they stand in well for the real statistics? Compare
# the training points in both modes:

# %%
eval_mode = np.mean(normalised.predict(X_train) == y_train)  # running statistics
# forward in training mode standardises with this batch's statistics (and nudges the
# running averages once more, which is why it comes second)
train_mode = np.mean(normalised.train().forward(X_train).argmax(axis=1) == y_train)
print(f"training points, batch statistics (train mode): {train_mode:.3f}")
print(f"training points, running statistics (eval mode): {eval_mode:.3f}")
first = normalised.layers[1]
print("first BatchNorm1D, running mean of 4 units:", first.running_mean[:4].round(3))

# %% [markdown]
# The two modes agree to within a point: the running averages are good stand-ins. (The
# History's last training accuracy is higher because it is counted batch by batch during the
# epoch, each batch standardised with its own 64 rows.) The test accuracy stays well below the
# training accuracy: sixteen layers are a lot for 1347 training images.
#
# ## Residual blocks
#
# A residual block adds its input to its output, `y = block(x) + x`. Its gradient has two
# paths back: through the block, and straight along the shortcut, untouched. A stack of them
# starts out close to the identity, and the first layers hear from the loss from the first step.
# Fifteen blocks of `Dense`, `BatchNorm1D` and tanh, behind one first layer:

# %%
def residual_network(normalise, seed=0):
    rng = np.random.default_rng(seed)
    blocks = []
    for _ in range(DEPTH - 1):
        inner = [snn.Dense(WIDTH, WIDTH, rng=rng, init=small_init)]
        inner += [snn.BatchNorm1D(WIDTH)] if normalise else []
        blocks.append(snn.Residual(snn.Sequential([*inner, snn.Tanh()])))
    return snn.Sequential([snn.Dense(64, WIDTH, rng=rng, init=small_init), snn.Tanh(), *blocks,
                           snn.Dense(WIDTH, 10, rng=rng, init=small_init)])


residual = residual_network(normalise=True)
doctor = snn.TrainingDoctor()
history = snn.fit(residual, X_train, y_train, lr=0.1, epochs=30, batch_size=64, rng=0,
                  callbacks=[doctor])
print(history)
residual_accuracy = test_accuracy(residual)
print(f"test accuracy {residual_accuracy:.3f}")
assert "vanishing_gradients" not in doctor.kinds and residual_accuracy > 0.8

# %% [markdown]
# Measured here: the plain stack at chance (0.102), with batch normalisation 0.795, with
# residual blocks 0.835. The shortcut does more for depth than the normalisation; the exercise
# below takes the normalisation out of the blocks.
#
# ## Exercises
#
# 1. **Residual blocks alone.** Build `residual_network(normalise=False)` and train it the same
#    way. Does the shortcut need batch normalisation here? What does the doctor say?
# 2. **Shallower.** Train the plain tanh stack with 4 hidden layers instead of 16 (same
#    too-small weights). Does the doctor still find vanishing gradients?
#
# ## Solutions

# %% solution
# Exercise 1: the shortcuts alone carry the gradient; without the running statistics there is
# no gap between training and prediction, and the test accuracy is the best of the four.
no_norm = residual_network(normalise=False)
doctor = snn.TrainingDoctor(stream=None)
snn.fit(no_norm, X_train, y_train, lr=0.1, epochs=30, batch_size=64, rng=0, callbacks=[doctor])
print(f"residual blocks without normalisation: test accuracy {test_accuracy(no_norm):.3f}, "
      f"doctor: {doctor.kinds or 'nothing'}")

# %% solution
# Exercise 2: four layers shrink the gradient four times, not sixteen: the doctor finds no
# vanishing gradient, but with weights this small the network still starts slowly.
rng = np.random.default_rng(0)
layers, n_in = [], 64
for _ in range(4):
    layers += [snn.Dense(n_in, WIDTH, rng=rng, init=small_init), snn.Tanh()]
    n_in = WIDTH
shallow = snn.Sequential([*layers, snn.Dense(WIDTH, 10, rng=rng, init=small_init)])
doctor = snn.TrainingDoctor(stream=None)
snn.fit(shallow, X_train, y_train, lr=0.1, epochs=30, batch_size=64, rng=0, callbacks=[doctor])
print(f"4 tanh layers: test accuracy {test_accuracy(shallow):.3f}, "
      f"doctor: {doctor.kinds or 'nothing'}")
