# %% [markdown]
# # 4. Initialisation and depth
#
# **What you will learn.** Why deep networks were hard to train for so long: the gradient
# that reaches the first layers of a deep *sigmoid* network is a million times smaller than
# the one at the last layer (it **vanishes**), while a network whose weights start too large
# sees it grow layer after layer (it **explodes**). You will measure the gradient norm of every
# layer yourself, see how ReLU with He initialisation keeps it level, and watch what that means
# for training.
#
# Reading time: about 15 minutes; the notebook runs in well under a minute.

# %%
import matplotlib.pyplot as plt
import numpy as np

import scratchnn as snn
from scratchnn import datasets, plotting

X, y = datasets.moons(512, noise=0.2, random_state=0)
DEPTH, WIDTH = 10, 32  # ten Dense layers: 2 -> 32 -> ... -> 32 -> 1


def scaled_he(scale):
    """He initialisation, N(0, 2 / n_in), with its standard deviation multiplied by scale."""
    def init(n_in, n_out, rng, dtype=np.float64):
        return (scale * rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(dtype)
    return init


def deep(activation, init, seed=0):
    """DEPTH Dense layers of WIDTH units with the activation between them."""
    sizes = [2] + [WIDTH] * (DEPTH - 1) + [1]
    return snn.mlp(sizes, activation, rng=seed, init=init)


def layer_gradient_norms(model):
    """One forward and backward pass on all of X; the norm of dL/dW for each Dense layer."""
    loss = snn.BinaryCrossEntropy()
    loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    return np.array([np.linalg.norm(layer.dW) for layer in model.dense_layers])


# %% [markdown]
# ## Why a gradient can vanish
#
# Backpropagation multiplies. Going back through one layer, the gradient is multiplied by the
# layer's weights (`dA = dZ @ Wᵀ`) and by the derivative of its activation (`dZ = dA * f'(Z)`).
# The sigmoid's derivative, `σ'(z) = σ(z)(1 - σ(z))`, is **at most 1/4**. Through ten sigmoid
# layers that is a factor of up to `4⁻¹⁰ ≈ 10⁻⁶` from the activations alone, unless the
# weights make up for it. The ReLU's derivative is exactly 1 where the unit is on, so nothing
# shrinks on its account; then the weights decide, and He initialisation picks their size
# (variance `2 / n_in`) so that each layer passes on a signal, and a gradient, of about the
# same size as it received.

# %%
z = np.linspace(-6, 6, 400)
sig = 1 / (1 + np.exp(-z))
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(z, sig * (1 - sig), label="sigmoid'(z), at most 1/4")
ax.plot(z, 1 - np.tanh(z) ** 2, label="tanh'(z), at most 1")
ax.plot(z, (z > 0).astype(float), label="ReLU'(z): 0 or 1")
ax.set_xlabel("z")
ax.set_title("The factor each layer's activation puts on the gradient")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## The gradient norm of every layer
#
# Five ten-layer networks, all at initialisation, all on the same 512 moons points:
#
# * **sigmoid, Glorot**: the classic deep network of the 1990s;
# * **tanh, Glorot**: the same with tanh, whose derivative is 1 at zero;
# * **ReLU, He**: the modern default (`mlp` picks He for ReLU);
# * **ReLU, He × 0.5** and **ReLU, He × 2**: the same with the initial weights halved or
#   doubled.
#
# For each we compute `‖dL/dW‖` of every layer after one backward pass.

# %%
NETWORKS = {
    "sigmoid, Glorot": ("sigmoid", "glorot"),
    "tanh, Glorot": ("tanh", "glorot"),
    "ReLU, He": ("relu", "he"),
    "ReLU, He × 0.5": ("relu", scaled_he(0.5)),
    "ReLU, He × 2": ("relu", scaled_he(2.0)),
}
norms = {name: layer_gradient_norms(deep(*spec)) for name, spec in NETWORKS.items()}
layers = np.arange(1, DEPTH + 1)
print("layer:              " + " ".join(f"{i:8d}" for i in layers))
for name, values in norms.items():
    print(f"{name:19s} " + " ".join(f"{v:8.1e}" for v in values))

# %%
fig, ax = plt.subplots(figsize=(7.5, 4.5))
styles = ["o-", "s-", "D-", "v--", "^--"]
for (name, values), style in zip(norms.items(), styles):
    ax.semilogy(layers, values, style, label=name)
ax.set_xticks(layers)
ax.set_xlabel("layer (1 = next to the input, 10 = the output layer)")
ax.set_ylabel("‖dL/dW‖ at initialisation")
ax.set_title("Ten layers deep: how much gradient reaches each layer")
ax.legend(fontsize=8)
plt.show()

ratio = {name: values[0] / values[-1] for name, values in norms.items()}
for name, r in ratio.items():
    print(f"{name:19s} first layer / last layer: {r:.1e}")

# %% [markdown]
# Read the plot from right to left, the way the gradient travels:
#
# * **sigmoid** loses a factor of about a *million* between the output layer and the first one
#   (checked below): the first layers would learn a million times more slowly than the last.
# * **tanh** with Glorot keeps the gradient level: its derivative is near 1 for small inputs.
# * **ReLU with He** stays within a small factor across all ten layers.
# * **ReLU, He × 0.5** and **ReLU, He × 2** are level too, but at the wrong height: about a
#   thousand times too small, and a few hundred times too large. A ReLU network is
#   *homogeneous*: halving every weight halves every layer's output, so ten layers shrink the
#   output, and with it every gradient, by `0.5¹⁰ ≈ 10⁻³`; doubling grows them by
#   `2¹⁰ ≈ 10³`. That is vanishing and exploding, in every layer at once; in a 50-layer
#   network the factor would be `2⁵⁰ ≈ 10¹⁵`.

# %%
scale = {name: np.exp(np.mean(np.log(values))) for name, values in norms.items()}
print({name: f"{value:.1e}" for name, value in scale.items()}, "(geometric means)")
assert ratio["sigmoid, Glorot"] < 1e-4
assert 0.1 < ratio["ReLU, He"] < 10 and 0.1 < ratio["tanh, Glorot"] < 10
assert scale["ReLU, He × 2"] > 100 * scale["ReLU, He"] > 1e4 * scale["ReLU, He × 0.5"]

# %% [markdown]
# ## The forward pass tells the same story
#
# The gradient shrinks or grows for the same reason the signal does on the way in. Here is the
# standard deviation of each hidden layer's activations for the three ReLU networks: He keeps
# it level, because it was derived to keep exactly this variance constant; a factor of 0.5 or
# 2 on the weights becomes a factor of 0.5 or 2 per layer on the signal.

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.8))
for name in ["ReLU, He × 0.5", "ReLU, He", "ReLU, He × 2"]:
    model = deep(*NETWORKS[name])
    a, spread = X, []
    for layer in model.layers[:-1]:
        a = layer.forward(a).copy()
        if not isinstance(layer, snn.Dense):
            spread.append(a.std())
    ax.semilogy(np.arange(1, len(spread) + 1), spread, "o-", label=name)
ax.set_xlabel("hidden layer")
ax.set_ylabel("std of its activations")
ax.set_title("The signal on the way in")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## What it means for training
#
# Now train the deep sigmoid network and the deep ReLU-He network the same way: full-batch
# gradient descent (plain SGD, lr 0.5), 300 epochs, and a shallow 2 → 32 → 1 ReLU network as
# a reference.

# %%
runs = {
    "10-layer sigmoid, Glorot": deep("sigmoid", "glorot"),
    "10-layer ReLU, He": deep("relu", "he"),
    "1 hidden layer, ReLU": snn.mlp([2, 32, 1], "relu", rng=0),
}
# One TrainingDoctor per run (stream=None: it keeps its findings instead of printing them);
# we read what they found further down.
doctors = {name: snn.TrainingDoctor(stream=None) for name in runs}
histories = {name: snn.fit(model, X, y, lr=0.5, epochs=300, callbacks=[doctors[name]])
             for name, model in runs.items()}

fig, ax = plt.subplots(figsize=(7, 4))
for name, history in histories.items():
    ax.plot(np.arange(1, 301), history.loss, label=name)
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.set_yscale("log")
ax.set_title("Plain gradient descent, lr 0.5")
ax.legend(fontsize=8)
plt.show()
# Ten layers amplify the last-digit rounding of every matrix product, which differs from one
# machine's BLAS to another's: the deep networks' losses are printed as the bounds checked here.
for name, history in histories.items():
    loss = history.loss[-1]
    said = ("near ln 2 = 0.693: stuck" if loss > 0.6 else "below 0.1" if loss < 0.1
            else f"{loss:.2f}")
    print(f"{name:26s} loss after 300 epochs {said}")
assert histories["10-layer sigmoid, Glorot"].loss[-1] > 0.6  # still near ln 2: stuck
assert histories["10-layer ReLU, He"].loss[-1] < 0.1

# %% [markdown]
# The deep sigmoid network sits on a plateau at `ln 2 ≈ 0.693`, the loss of guessing: its
# first layers barely move, so the last layers only ever see features that carry no
# information. The deep ReLU-He network trains as well as the shallow one. Two things changed
# the field in the early 2010s: activations whose derivative does not shrink (ReLU), and
# initialisations scaled to the layer size (Glorot 2010, He 2015). Later came normalisation
# layers and residual connections, which attack the same product of factors.
#
# **A look under the hood while training.** The per-layer norms above are a snapshot at
# initialisation. A callback (`fit(..., callbacks=[...])`) can record them after every epoch;
# here, for a fresh copy of the deep sigmoid network, the gradient norms of the first, the
# fifth and the last layer over the 300 epochs:

# %%
watched = deep("sigmoid", "glorot")
tracked = {0: [], 4: [], 9: []}  # Dense layer index -> one norm per epoch


def record(epoch, history, model):
    """After every epoch: the gradient norms of the tracked Dense layers."""
    for index, values in tracked.items():
        values.append(np.linalg.norm(model.dense_layers[index].dW))
    return False  # never ask fit to stop


watched_history = snn.fit(watched, X, y, lr=0.5, epochs=300, callbacks=[record])
fig, ax = plt.subplots(figsize=(6.5, 3.6))
for index, values in tracked.items():
    ax.semilogy(np.arange(1, 301), values, label=f"layer {index + 1}")
ax.set_xlabel("epoch")
ax.set_ylabel("‖dL/dW‖")
ax.set_title("Deep sigmoid network during training")
ax.legend(fontsize=8)
plt.show()
print(f"first layer's gradient norm: at most {max(tracked[0]):.1e} in 300 epochs")
assert max(tracked[0]) < 1e-5 and abs(watched_history.loss[-1] - np.log(2)) < 1e-3

# %% [markdown]
# The first layer's gradient never exceeds about `10⁻⁶`, so it never learns. The last layer
# learns quickly the one thing it can from features that carry no information, to say
# "probability 1/2" everywhere, and then its gradient vanishes too: the network sits on the
# plateau at `ln 2` with every gradient tiny, which is why its loss curve above is flat.
# (Its accuracy in the table above means nothing: its logits differ by tiny amounts.)

# %% [markdown]
# ## What the training doctor says
#
# `snn.TrainingDoctor` is a callback that takes such measurements for you: the gradient norm
# and the size of the update of every layer, the ReLU units that output nothing, the loss. It
# looks after each of the first 20 epochs and then after every 20th, and when a symptom lasts
# five looks it says, in plain English, what it sees and what to try. Each of the three runs
# above was trained with a doctor of its own; here is what they found.

# %%
for name, doctor in doctors.items():
    print(f"--- {name}")
    print(doctor.report())

# %% [markdown]
# * **The deep sigmoid network** gets one finding, **vanishing gradients**, at epoch 5: the
#   gradient reaching the first `Dense` layer is about 10⁻⁴ times the one reaching the last,
#   so the early layers barely learn. The advice names the cures of this notebook: ReLU with
#   He initialisation, fewer layers, or Adam (exercise 1).
# * **The deep ReLU network with He initialisation** has no vanishing or exploding gradient:
#   He initialisation did its job. It is not a clean bill of health, though. At epoch 3 one
#   epoch changed the weights of the last layer by more than their own size (**large
#   updates**): lr 0.5 is too large for this network, whose gradients now arrive at full
#   size. And from epoch 8 on the doctor finds a quarter or more of the units of several
#   hidden layers dead (**dead units**), five looks in a row. Large steps are a common way
#   to kill ReLU units, which is why both findings advise a smaller learning rate. The
#   network still learns the moons, because 32 units per layer leave enough alive, but part
#   of its width is wasted. A good initialisation lets the gradient through; it does not
#   choose the learning rate for you.
# * **The shallow network** gets no finding at all.
#
# The numbers behind the findings, drawn by `plotting.plot_diagnostics`: each layer's
# gradient norm (left), how much one epoch changed its weights relative to their size
# (middle; the dashed line marks the healthy 10⁻³ per step, and full-batch training takes
# one step per epoch) and, for ReLU networks, the dead units of each hidden layer (right).
# Dotted lines mark the epochs of the findings. The epochs are on a log scale, so the first
# ones, where most happens, get room (`plot_diagnostics` does that itself when a run is long).

# %%
for name in ["10-layer sigmoid, Glorot", "10-layer ReLU, He"]:
    plotting.plot_diagnostics(doctors[name], title=f"{name}, SGD lr 0.5")
    plt.show()

# %% [markdown]
# The sigmoid network's story, in two panels. At the first epoch its ten gradient norms form
# a staircase over almost six orders of magnitude, `Dense 1` at the bottom (1.9 × 10⁻⁶ times
# `Dense 10`, as measured at initialisation), and the updates follow: only the last layers
# move at a healthy rate. Within about 15 epochs those last layers have learned the one thing
# they can, to say 1/2 everywhere, and then every layer's gradient sits near 10⁻⁶ and every
# update near 10⁻⁷ of the weights: the plateau. The doctor does not blame these tiny updates
# on a learning rate that is too low (its `small_updates` finding): it has already found
# their cause.
#
# The ReLU network's ten gradient norms stay within a factor of about ten of each other at
# every look, and its updates sit above the healthy 10⁻³ per step all along, with the spike
# at epoch 3 that the doctor reported. On the right, some units are dead from the first
# epoch on and more die in the first twenty; about 40 of the 288 hidden units are still dead
# at the end. The checks below hold this text to what the doctors measured.

# %%
sigmoid_doctor, relu_doctor = doctors["10-layer sigmoid, Glorot"], doctors["10-layer ReLU, He"]
assert sigmoid_doctor.kinds == ["vanishing_gradients"] and sigmoid_doctor.findings[0].epoch == 5
assert not {"vanishing_gradients", "exploding_gradients"} & set(relu_doctor.kinds)
assert relu_doctor.findings[0].kind == "large_updates" and relu_doctor.findings[0].epoch == 3
assert relu_doctor.findings[1].kind == "dead_units" and relu_doctor.findings[1].epoch == 8
assert relu_doctor.kinds.count("dead_units") >= 3
assert doctors["1 hidden layer, ReLU"].findings == []

first_look = sigmoid_doctor.grad_norms[0]
print(f"sigmoid, epoch 1: Dense 1 / Dense 10 gradient norm {first_look[0] / first_look[-1]:.1e}")
print(f"sigmoid, epoch 300: gradient norms at most {sigmoid_doctor.grad_norms[-1].max():.1e}, "
      f"updates at most {sigmoid_doctor.update_ratios[-1].max():.1e} of the weights")
at_epoch_5 = sigmoid_doctor.grad_norms[sigmoid_doctor.epochs.index(5)]
at_epoch_15 = sigmoid_doctor.grad_norms[sigmoid_doctor.epochs.index(15)]
assert first_look[0] / first_look[-1] < 1e-5 and 1e-5 < at_epoch_5[0] / at_epoch_5[-1] < 1e-3
assert at_epoch_15.max() < 1e-5  # the plateau, reached within about 15 epochs
assert sigmoid_doctor.grad_norms[-1].max() < 1e-5 and sigmoid_doctor.update_ratios[-1].max() < 1e-6

spread = relu_doctor.grad_norms.max(axis=1) / relu_doctor.grad_norms.min(axis=1)
largest_update = np.nanmax(relu_doctor.update_ratios[1:], axis=1)  # no ratio at epoch 1
dead_at_end = int(relu_doctor.dead_units[-1].sum())
# After the first epochs the deep network's path depends on the machine's rounding (see
# above), so these are printed as the bounds the checks hold, and the dead units to the ten.
print(f"ReLU-He: largest/smallest gradient norm per look below 15; largest update per look "
      f"above 1e-3 of the weights; dead units at epoch 300: about {round(dead_at_end, -1)} "
      "of 288")
assert spread.max() < 15 and largest_update.min() > 1e-3
assert relu_doctor.dead_units[0].sum() > 0 and 30 <= dead_at_end <= 50

# %% [markdown]
# ## Exercises
#
# 1. **Adam to the rescue?** Train the 10-layer sigmoid network with `snn.Adam(lr=0.01)`
#    instead of SGD. Adam divides each parameter's step by the size of its own gradients:
#    what does that do to a vanishing gradient?
# 2. **How deep can sigmoid go?** Measure the first/last gradient-norm ratio of sigmoid-Glorot
#    networks with 2, 4, 6, 8 and 10 layers and plot it on a log scale. Roughly what factor
#    is lost per layer?
# 3. **Exploding in earnest.** Train the `ReLU, He × 2` network with SGD at lr 0.5. What
#    happens, and what does scratchnn tell you?
#
# ## Solutions

# %% solution
# Exercise 1: Adam rescales every parameter's step to roughly lr, whatever the size of its
# gradient, so the first layers move too: the deep sigmoid network now leaves the plateau.
model = deep("sigmoid", "glorot")
h = snn.fit(model, X, y, optimizer=snn.Adam(model.parameters(), lr=0.01), epochs=300)
print(f"10-layer sigmoid with Adam: loss after 300 epochs {h.loss[-1]:.1f}")  # digits: the BLAS

# %% solution
# Exercise 2: the ratio falls by a roughly constant factor per layer: a straight line on a
# log scale, the signature of a product of per-layer factors.
depths = [2, 4, 6, 8, 10]
ratios = []
for depth in depths:
    sizes = [2] + [WIDTH] * (depth - 1) + [1]
    values = layer_gradient_norms(snn.mlp(sizes, "sigmoid", rng=0, init="glorot"))
    ratios.append(values[0] / values[-1])
fig, ax = plt.subplots(figsize=(5, 3))
ax.semilogy(depths, ratios, "o-")
ax.set_xlabel("number of Dense layers")
ax.set_ylabel("first / last gradient norm")
plt.show()
per_layer = (ratios[-1] / ratios[0]) ** (1 / (depths[-1] - depths[0]))
print(f"about a factor {1 / per_layer:.1f} lost per layer")

# %% solution
# Exercise 3: the loss becomes huge or infinite within a few epochs; fit stops with a
# TrainingDivergedError whose message names the learning rate.
try:
    snn.fit(deep("relu", scaled_he(2.0)), X, y, lr=0.5, epochs=50)
    print("no divergence this time")
except snn.TrainingDivergedError as error:
    print("TrainingDivergedError:", error)
