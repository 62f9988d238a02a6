# %% [markdown]
# # 5. Overfitting and regularisation
#
# **What you will learn.** What overfitting looks like in the numbers (training loss going to
# zero while the validation loss climbs) and in the picture (a boundary that bends around
# single noisy points), and what four remedies do about it on the same small data set: an L2
# penalty on the weights, dropout, early stopping, and restarts chosen on validation data. You
# will also see why the validation *loss* and the validation *accuracy* can tell different
# stories, and why the final score must come from a third, untouched test set.
#
# Reading time: about 15 minutes; the notebook runs in well under a minute.

# %%
import matplotlib.pyplot as plt
import numpy as np

import scratchnn as snn
from scratchnn import datasets
from scratchnn.plotting import model_predict_proba, plot_decision_boundary

X, y = datasets.moons(1360, noise=0.3, random_state=1)
X_train, y_train = X[:60], y[:60]  # the small, noisy training set
X_val, y_val = X[60:360], y[60:360]  # to watch training and choose settings
X_test, y_test = X[360:], y[360:]  # 1000 points, looked at only to report the end result
print(f"train {len(y_train)}, validation {len(y_val)}, test {len(y_test)} points")


def accuracy(model, X, y):
    model.eval()  # dropout off while measuring
    result = float(np.mean((model.forward(X)[:, 0] > 0) == y))
    model.train()
    return result


def train(model=None, epochs=600, **options):
    """A 2-64-64-1 ReLU network (unless given), Adam lr 0.01, full batch, 600 epochs."""
    model = model or snn.mlp([2, 64, 64, 1], "relu", rng=0)
    history = snn.fit(model, X_train, y_train, optimizer=snn.Adam(model.parameters(), lr=0.01),
                      epochs=epochs, validation_data=(X_val, y_val), rng=0, **options)
    return model, history


# %% [markdown]
# ## Overfitting, measured
#
# A network with 4,400 weights and 60 noisy points: it can memorise every one of them, and
# given 600 epochs it does.

# %%
plain, plain_history = train()
print(f"training accuracy {accuracy(plain, X_train, y_train):.3f}, "
      f"training loss {plain_history.loss[-1]:.4f}")
best = int(np.argmin(plain_history.val_loss))
print(f"validation loss: lowest {plain_history.val_loss[best]:.3f} at epoch {best + 1}, "
      f"final {plain_history.val_loss[-1]:.3f}")
assert accuracy(plain, X_train, y_train) == 1.0
assert plain_history.val_loss[-1] > 3 * min(plain_history.val_loss)

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
epochs = np.arange(1, 601)
left.plot(epochs, plain_history.loss, label="training loss")
left.plot(epochs, plain_history.val_loss, label="validation loss")
left.axvline(best + 1, ls=":", color="black", label=f"lowest validation loss (epoch {best + 1})")
left.set_yscale("log")
left.set_xlabel("epoch")
left.set_title("No regularisation")
left.legend(fontsize=8)
plot_decision_boundary(model_predict_proba(plain), X_train, y_train, X_val, y_val, ax=right,
                       title="no regularisation", point_label="train")
plt.show()

# %% [markdown]
# The two curves part ways early: after the first few dozen epochs every further drop of the
# training loss is bought with a *rise* of the validation loss. The boundary (right) shows how:
# it wraps little islands around single noisy training points.
#
# ## Four remedies
#
# * **L2** (`alpha`): adds `½ α Σ W² / n` to the loss, so large weights cost something and
#   the boundary stays smooth.
# * **Dropout** (`Dropout(p)` between layers): during training each hidden unit is zeroed
#   with probability `p` (the rest scaled by `1/(1-p)`), so no unit can rely on another;
#   at evaluation (`model.eval()`) it does nothing.
# * **Early stopping**: watch the validation loss, stop when it has not improved for
#   `patience` epochs, and restore the weights of its best epoch.
# * **Restarts** (`n_init`): train from several initialisations and keep the one with the
#   lowest validation loss; with L2 this is a cheap way to avoid a bad start.

# %%
def dropout_network(p):
    return snn.Sequential([snn.Dense(2, 64, rng=0), snn.ReLU(), snn.Dropout(p, rng=1),
                           snn.Dense(64, 64, rng=1), snn.ReLU(), snn.Dropout(p, rng=2),
                           snn.Dense(64, 1, rng=2)])


runs = {"none": (plain, plain_history)}
runs["L2, alpha=1"] = train(alpha=1.0)
runs["dropout 0.5"] = train(dropout_network(0.5))
runs["early stopping"] = train(early_stopping=True, patience=50)
runs["L2 + 3 restarts"] = train(alpha=1.0, n_init=3, epochs=200)

print(f"{'remedy':16s} {'epochs':>6s} {'train acc':>9s} {'val loss':>8s} {'val acc':>7s} "
      f"{'test acc':>8s}")
results = {}
for name, (model, history) in runs.items():
    model.eval()
    val_loss = snn.BinaryCrossEntropy().forward(model.forward(X_val), y_val)
    model.train()
    results[name] = {"val_loss": val_loss, "test": accuracy(model, X_test, y_test)}
    print(f"{name:16s} {history.epochs:6d} {accuracy(model, X_train, y_train):9.3f} "
          f"{results[name]['val_loss']:8.3f} {accuracy(model, X_val, y_val):7.3f} "
          f"{results[name]['test']:8.3f}")

# %% [markdown]
# (The validation loss is that of the weights the model ends with: the last epoch's, or for
# early stopping the restored best epoch's; without the L2 penalty term.)

# %%
fig, axes = plt.subplots(2, 5, figsize=(22, 8.5))
for (name, (model, history)), top, bottom in zip(runs.items(), axes[0], axes[1]):
    e = np.arange(1, history.epochs + 1)
    top.plot(e, history.loss, label="training")
    top.plot(e, history.val_loss, label="validation")
    top.set_yscale("log")
    top.set_ylim(5e-4, 5)
    top.set_title(f"{name}: loss per epoch")
    top.set_xlabel("epoch")
    top.legend(fontsize=8)
    plot_decision_boundary(model_predict_proba(model), X_train, y_train, ax=bottom,
                           title=name, colorbar=False, legend=False)
plt.show()

# %% [markdown]
# What the numbers and pictures say (the claims are checked below):
#
# * **L2** keeps the validation loss down (well below the unregularised network's final one)
#   and gives the smoothest boundary; the training loss can no longer reach zero, which is
#   the point. It also has the best test accuracy of the single runs.
# * **Dropout** at `p = 0.5` slows the memorising but does not stop it here: given 600
#   epochs on 60 points the validation loss still climbs. Dropout earns its keep in larger
#   networks trained on more data for fewer passes.
# * **Early stopping** stops long before epoch 600 and keeps the weights of the lowest
#   validation loss; that is a network that has barely bent its boundary, and its test accuracy
#   is *not* the best. The validation loss measures confidence as well as correctness: the
#   unregularised network's final validation loss is terrible because of a few confidently
#   wrong points, yet its accuracy is decent.
# * **Restarts** with L2 pick, among three initialisations, the one with the lowest validation
#   loss.

# %%
assert results["L2, alpha=1"]["val_loss"] < plain_history.val_loss[-1] / 3
assert results["L2, alpha=1"]["test"] > results["none"]["test"]
assert runs["early stopping"][1].epochs < 600

# %% [markdown]
# ## Why a third set?
#
# We chose the remedy by looking at validation numbers, so the validation score of the winner
# is flattering: among several candidates, the luckiest one on those 300 points tends to win.
# The 1000 test points played no part in any choice, so their accuracy is an honest estimate.
# On a real project, look at the test set once, at the end.
#
# ## Exercises
#
# 1. **Pick `alpha`.** Train with `alpha` in `[0.01, 1, 10]` and plot the final
#    training and validation losses against `alpha` (log scale). Where is the sweet spot, and
#    what happens on each side?
# 2. **More data.** Keep the unregularised network but train on 600 points instead of 60 (take
#    them from the test set's share). Does it still overfit?
# 3. **Early stopping by accuracy.** scratchnn's `fit` stops on the validation loss. Write a
#    callback (`callback(epoch, history, model) -> bool`) that records the validation accuracy
#    each epoch, and find the epoch where it peaks. Is it the epoch of the lowest loss?
#
# ## Solutions

# %% solution
# Exercise 1: too little alpha overfits (low training loss, high validation loss), too much
# underfits (both high). The sweet spot here is around alpha = 1.
alphas = [0.01, 1, 10]
finals = [train(alpha=a, epochs=200)[1] for a in alphas]
fig, ax = plt.subplots(figsize=(5, 3.2))
ax.plot(alphas, [h.loss[-1] for h in finals], "o-", label="training loss (with penalty)")
ax.plot(alphas, [h.val_loss[-1] for h in finals], "o-", label="validation loss")
ax.set_xscale("log")
ax.set_xlabel("alpha")
ax.legend(fontsize=8)
plt.show()

# %% solution
# Exercise 2: with ten times the data the same network overfits far less.
big = snn.mlp([2, 64, 64, 1], "relu", rng=0)
X_big, y_big = X[360:960], y[360:960]
h_big = snn.fit(big, X_big, y_big, optimizer=snn.Adam(big.parameters(), lr=0.01), epochs=100,
                validation_data=(X_val, y_val), batch_size=60, rng=0)
print(f"600 points: final validation loss {h_big.val_loss[-1]:.3f} "
      f"(60 points: {plain_history.val_loss[-1]:.3f})")

# %% solution
# Exercise 3: a callback that records the validation accuracy.
val_acc = []


def record(epoch, history, model):
    val_acc.append(accuracy(model, X_val, y_val))
    return False  # never ask to stop


_, h = train(epochs=100, callbacks=[record])
print(f"validation accuracy peaks at epoch {int(np.argmax(val_acc)) + 1} ({max(val_acc):.3f}); "
      f"validation loss is lowest at epoch {int(np.argmin(h.val_loss)) + 1}")
