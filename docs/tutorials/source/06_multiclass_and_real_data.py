# %% [markdown]
# # 6. Many classes, and real data
#
# **What you will learn.** How a network predicts one of `k` classes (one logit per class, a
# softmax, and the cross-entropy of the right class), first on three interleaved spirals you
# can look at, then on real 8×8 images of handwritten digits. Then the practical side: the
# `MLPClassifier` inside a scikit-learn `Pipeline` with a scaler, a small `GridSearchCV` to
# choose its settings, and how to read a confusion matrix to see *which* digits it confuses.
#
# Reading time: about 15 minutes; the notebook runs in well under a minute.

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import scratchnn as snn
from scratchnn import datasets
from scratchnn.plotting import model_predict_proba, plot_decision_boundary

# The classifiers below stop after 60 epochs to keep this notebook quick; scikit-learn's
# stopping rule would like a few more and says so with a ConvergenceWarning every time.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

# %% [markdown]
# ## Softmax, by hand, once
#
# With `k` classes the network ends in `k` logits `z` per point. The softmax turns them into
# probabilities, `p_j = e^{z_j} / Σ_i e^{z_i}`, and the loss is `-log p_y`, minus the log
# probability of the right class. Subtracting the largest logit first changes nothing (it
# cancels in the fraction) and keeps `e^z` from overflowing. And as with the sigmoid, the
# gradient with respect to the logits is simply `p - onehot(y)`, divided by `n`.

# %%
z = np.array([[2.0, 1.0, -1.0], [0.5, 3.0, 0.0]])  # 2 points, 3 classes
labels = np.array([0, 2])
shifted = z - z.max(axis=1, keepdims=True)
p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
by_hand = -np.mean(np.log(p[np.arange(2), labels]))

loss = snn.SoftmaxCrossEntropy()
library = loss.forward(z, labels)
grad_by_hand = (p - np.eye(3)[labels]) / 2
print("probabilities:\n", p.round(3))
print(f"loss by hand {by_hand:.6f}, SoftmaxCrossEntropy {library:.6f}")
assert np.isclose(by_hand, library) and np.allclose(loss.backward(), grad_by_hand)

# %% [markdown]
# ## Three spirals
#
# 900 points on three interleaved arms. A 2 → 64 → 64 → 3 ReLU network, mini-batch Adam;
# `fit` picks the softmax cross-entropy by itself because the model has three outputs.

# %%
X, y = datasets.spirals(900, noise=0.2, n_classes=3, random_state=0)
X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.25,
                                                             random_state=0)
model = snn.mlp([2, 64, 64, 3], "relu", rng=0)
optimizer = snn.Adam(model.parameters(), lr=0.01)
history = snn.fit(model, X_train, y_train, optimizer=optimizer, epochs=100, batch_size=32,
                  schedule=snn.StepLR(optimizer, step_size=40, gamma=0.5), rng=0)
spiral_accuracy = float(np.mean(model.forward(X_test).argmax(axis=1) == y_test))
print(f"final training loss {history.loss[-1]:.4f}, test accuracy {spiral_accuracy:.3f}")
assert spiral_accuracy >= 0.97

# %%
fig, ax = plt.subplots(figsize=(6, 5))
plot_decision_boundary(model_predict_proba(model), X_train, y_train, X_test, y_test, ax=ax,
                       title="2-64-64-3 ReLU on three spirals")
plt.show()

# %% [markdown]
# Each region takes its class's colour, fading to white where the largest probability is
# low: those pale bands are where the network is unsure, between the arms.
#
# ## Real data: handwritten digits
#
# scikit-learn's digits: 1797 images of 8×8 pixels (values 0-16), ten classes. A network sees
# each image as a row of 64 numbers.

# %%
digits_X, digits_y = load_digits(return_X_y=True)
fig, axes = plt.subplots(2, 8, figsize=(10, 2.8))
for ax, image, label in zip(axes.ravel(), digits_X, digits_y):
    ax.imshow(image.reshape(8, 8), cmap="gray_r")
    ax.set_title(str(label))
    ax.axis("off")
plt.show()
Xd_train, Xd_test, yd_train, yd_test = train_test_split(
    digits_X, digits_y, test_size=0.25, random_state=0, stratify=digits_y)
print(Xd_train.shape, Xd_test.shape)

# %% [markdown]
# ## `MLPClassifier` in a `Pipeline`
#
# `scratchnn.MLPClassifier` has scikit-learn's parameters and methods, so it fits in a
# `Pipeline`. Scaling every pixel column to mean 0 and variance 1 matters for networks (a
# pixel ranging over 0-16 would otherwise dominate the first layer's products), and putting the
# scaler *in* the pipeline means it is fitted on the training data only, even inside
# cross-validation.

# %%
pipe = make_pipeline(StandardScaler(), snn.MLPClassifier(hidden_layer_sizes=(64,), max_iter=60,
                                                         random_state=0))
pipe.fit(Xd_train, yd_train)
pipe_accuracy = pipe.score(Xd_test, yd_test)
print(f"test accuracy {pipe_accuracy:.3f}")
assert pipe_accuracy >= 0.95

# %% [markdown]
# ## Choosing settings with `GridSearchCV`
#
# Which hidden size, and how much L2 (`alpha`)? `GridSearchCV` trains every combination on
# two thirds of the *training* data and scores it on the remaining third, three times over,
# so the test set stays untouched. The parameter names are scikit-learn's, prefixed with the
# pipeline step's name.

# %%
grid = GridSearchCV(pipe, {"mlpclassifier__hidden_layer_sizes": [(32,), (128,)],
                           "mlpclassifier__alpha": [1e-4, 1.0]}, cv=3)
grid.fit(Xd_train, yd_train)
for params, score in zip(grid.cv_results_["params"], grid.cv_results_["mean_test_score"]):
    print(f"{params}: cross-validated accuracy {score:.3f}")
print("best:", grid.best_params_)
best_accuracy = grid.score(Xd_test, yd_test)
print(f"test accuracy of the refitted best pipeline {best_accuracy:.3f}")
assert best_accuracy >= 0.95

# %% [markdown]
# ## Reading a confusion matrix
#
# Accuracy is one number; the confusion matrix says where the mistakes are. Row `i`, column
# `j` counts the test images of digit `i` that the model called `j`: the diagonal is what it
# got right, everything else is a confusion.

# %%
predicted = grid.predict(Xd_test)
matrix = confusion_matrix(yd_test, predicted)
fig, ax = plt.subplots(figsize=(5.5, 5))
ax.imshow(matrix, cmap="Blues")
for i in range(10):
    for j in range(10):
        if matrix[i, j]:
            ax.text(j, i, matrix[i, j], ha="center", va="center",
                    color="white" if matrix[i, j] > matrix.max() / 2 else "black")
ax.set_xticks(range(10))
ax.set_yticks(range(10))
ax.set_xlabel("predicted digit")
ax.set_ylabel("true digit")
ax.set_title("Digits: confusion matrix on the test set")
plt.show()

off_diagonal = matrix - np.diag(np.diag(matrix))
i, j = np.unravel_index(np.argmax(off_diagonal), matrix.shape)
recall = np.diag(matrix) / matrix.sum(axis=1)
print(f"most frequent confusion: {off_diagonal[i, j]} test images of a {i} called a {j}")
print("recall per digit:", dict(enumerate(recall.round(2).tolist())))
assert matrix.sum() == len(yd_test) and np.trace(matrix) == np.sum(predicted == yd_test)

# %% [markdown]
# Read a row to see how one digit fares (its *recall*: the share of that digit found), a
# column to see what gets mistaken *for* a digit (its *precision*). The mistakes the network
# makes are the ones a person would understand: pairs that share strokes in 8×8 pixels.
# Let us look at the wrongly classified images themselves:

# %%
wrong = np.flatnonzero(predicted != yd_test)[:8]
fig, axes = plt.subplots(1, len(wrong), figsize=(1.3 * len(wrong), 1.8), squeeze=False)
for ax, k in zip(axes[0], wrong):
    ax.imshow(Xd_test[k].reshape(8, 8), cmap="gray_r")
    ax.set_title(f"{yd_test[k]} → {predicted[k]}", fontsize=9)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Exercises
#
# 1. **Without the scaler.** Fit the same `MLPClassifier` on the raw pixels (no
#    `StandardScaler`). What happens to the test accuracy? Then multiply the first ten pixel
#    columns by 100 (as if they were measured in other units) and compare again, with and
#    without the scaler.
# 2. **Five spirals.** Train on `datasets.spirals(1500, n_classes=5, noise=0.2)`. How many
#    hidden units does it take to reach 0.95 test accuracy?
# 3. **Probabilities.** `predict_proba` gives the softmax probabilities. Find the test image
#    the model is *least* sure about (lowest top probability) and show it. Is it a mistake?
#
# ## Solutions

# %% solution
# Exercise 1: the digits' pixels all share one range (0-16), so scaling changes little here.
# Give ten columns other units and the unscaled network suffers, the pipeline does not.
def test_accuracy(estimator, X_fit, X_eval):
    return estimator.fit(X_fit, yd_train).score(X_eval, yd_test)


def classifier():
    return snn.MLPClassifier(hidden_layer_sizes=(64,), max_iter=60, random_state=0)


units = np.ones(64)
units[:10] = 100.0
for name, factor in [("raw pixels", 1.0), ("ten columns × 100", units)]:
    raw = test_accuracy(classifier(), Xd_train * factor, Xd_test * factor)
    scaled = test_accuracy(make_pipeline(StandardScaler(), classifier()),
                           Xd_train * factor, Xd_test * factor)
    print(f"{name}: without scaler {raw:.3f}, with scaler {scaled:.3f}")

# %% solution
# Exercise 2: five arms, a few sizes.
X5, y5 = datasets.spirals(1500, noise=0.2, n_classes=5, random_state=0)
X5_train, X5_test, y5_train, y5_test = datasets.train_test_split(X5, y5, test_size=0.25,
                                                                 random_state=0)
for width in (16, 64):
    net = snn.mlp([2, width, width, 5], "relu", rng=0)
    snn.fit(net, X5_train, y5_train, optimizer=snn.Adam(net.parameters(), lr=0.01),
            epochs=60, batch_size=32, rng=0)
    print(f"2-{width}-{width}-5: test accuracy "
          f"{np.mean(net.forward(X5_test).argmax(axis=1) == y5_test):.3f}")

# %% solution
# Exercise 3: the least certain test image.
proba = grid.predict_proba(Xd_test)
k = int(np.argmin(proba.max(axis=1)))
top2 = np.argsort(proba[k])[::-1][:2]
fig, ax = plt.subplots(figsize=(2, 2))
ax.imshow(Xd_test[k].reshape(8, 8), cmap="gray_r")
ax.set_title(f"true {yd_test[k]}; p({top2[0]})={proba[k, top2[0]]:.2f}, "
             f"p({top2[1]})={proba[k, top2[1]]:.2f}", fontsize=8)
ax.axis("off")
plt.show()
