# %% [markdown]
# # 0. Autograd from scratch
#
# **What you will learn.** How a program can differentiate any expression you write, one
# number at a time: you will build a tiny `Value` class step by step (a forward expression,
# the chain rule by hand, a `_backward` closure per operation, a topological order, and
# `backward()`), draw the graph it records, train a small network on the two moons with it,
# and finally use the same idea over NumPy arrays (`scratchnn.autograd.Tensor`) to check the
# library's hand-written `Dense.backward`.
#
# It follows Andrej Karpathy's *micrograd*; the finished engine is
# `src/scratchnn/autograd/value.py`, about 200 lines with its docstrings. Reading time: about
# 20 minutes. Everything runs in a few seconds.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import SVG

import scratchnn as snn
from scratchnn import autograd, datasets

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. A forward expression
#
# Take `L = (a * b + c) * f` with four numbers. Python computes it from left to right and
# forgets how: all that is left is a float.

# %%
a, b, c, f = 2.0, -3.0, 10.0, -2.0
e = a * b
d = e + c
L = d * f
print(f"e = a*b = {e}, d = e + c = {d}, L = d*f = {L}")

# %% [markdown]
# ## 2. The chain rule by hand
#
# How much does `L` move when `a` moves a little? Walk backwards from `L`, one operation at a
# time, multiplying the local derivatives (the chain rule):
#
# - `L = d * f`: `dL/dd = f`, `dL/df = d`.
# - `d = e + c`: a sum passes the gradient on unchanged, so `dL/de = dL/dd` and `dL/dc = dL/dd`.
# - `e = a * b`: `dL/da = dL/de * b`, `dL/db = dL/de * a`.
#
# Finite differences, which need no calculus, agree.

# %%
dL_dd, dL_df = f, d
dL_de = dL_dc = dL_dd
dL_da, dL_db = dL_de * b, dL_de * a
print(f"by hand: dL/da = {dL_da}, dL/db = {dL_db}, dL/dc = {dL_dc}, dL/df = {dL_df}")


def expression(a, b, c, f):
    return (a * b + c) * f


h = 1e-6
numeric = (expression(a + h, b, c, f) - expression(a - h, b, c, f)) / (2 * h)
print(f"finite differences: dL/da = {numeric:.6f}")
assert abs(numeric - dL_da) < 1e-6

# %% [markdown]
# ## 3. Numbers that remember: a `_backward` per operation
#
# To do this for *any* expression, each number must remember where it came from. A `Value`
# keeps its `data`, a `grad` (dL/d itself, 0 until we compute it), its children `_prev`, and
# a closure `_backward` that knows the local derivatives of the operation that made it. Each
# operation writes its backward right next to its forward: `child.grad += local * out.grad`.
# (`+=` because a number used twice receives a gradient from each use.)


# %%
class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data, self.grad = data, 0.0
        self._prev, self._op = tuple(_children), _op
        self._backward = lambda: None  # a leaf passes nothing on

    def __add__(self, other):
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():  # d(a + b)/da = 1, d(a + b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():  # d(a b)/da = b, d(a b)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"


# %% [markdown]
# Calling the closures by hand, from `L` back to the leaves, reproduces the chain rule of
# section 2. The root's gradient is 1 (dL/dL).

# %%
a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
e = a * b
d = e + c
L = d * f
L.grad = 1.0
L._backward()  # fills d.grad and f.grad
d._backward()  # fills e.grad and c.grad
e._backward()  # fills a.grad and b.grad
print(a, b, c, f, sep="\n")
assert (a.grad, b.grad, c.grad, f.grad) == (dL_da, dL_db, dL_dc, dL_df)

# %% [markdown]
# ## 4. The order: a topological sort
#
# We called the closures in an order where every node came *after* every node that uses it
# (`L`, then `d`, then `e`). A depth-first search gives that order for any graph: append a node
# once all its children are appended, and walk the list backwards. That is
# `autograd.topological_order`; here is the recursive version, and a check that the library's
# (written with a stack, so that long chains do not hit Python's recursion limit) agrees.


# %%
def topological_order(root):
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for child in node._prev:
                visit(child)
            order.append(node)

    visit(root)
    return order


print([node.data for node in topological_order(L)])
assert topological_order(L) == autograd.topological_order(L)


# %% [markdown]
# ## 5. `backward()`
#
# Put together: set the root's gradient to 1, then call every `_backward` in reverse
# topological order.


# %%
def backward(root):
    for node in topological_order(root):
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(topological_order(root)):
        node._backward()


backward(L)
assert (a.grad, b.grad, c.grad, f.grad) == (dL_da, dL_db, dL_dc, dL_df)
print("backward() gives the chain rule's gradients:", a.grad, b.grad, c.grad, f.grad)

# %% [markdown]
# That is the whole idea. `scratchnn.autograd.Value` adds the rest of arithmetic (numbers on
# either side, `-`, `/`, `**`) and the functions a network needs (`exp`, `log`, `tanh`, `relu`,
# `sigmoid`), each with its backward next to its forward. It reproduces micrograd's published
# example to the last printed digit:

# %%
SmallValue = Value  # the class we just wrote, kept for the exercises
Value = autograd.Value  # the library's engine, from here on

a = Value(-4.0)
b = Value(2.0)
c = a + b
d = a * b + b**3
c += c + 1
c += 1 + c + (-a)
d += d * 2 + (b + a).relu()
d += 3 * d + (b - a).relu()
e = c - d
f = e**2
g = f / 2.0
g += 10.0 / f
g.backward()
print(f"g = {g.data:.4f}, dg/da = {a.grad:.4f}, dg/db = {b.grad:.4f}")
assert (f"{g.data:.4f}", f"{a.grad:.4f}", f"{b.grad:.4f}") == ("24.7041", "138.8338", "645.5773")

# %% [markdown]
# ## 6. Drawing the graph
#
# `autograd.draw` turns the recorded graph into an SVG picture (no graphviz needed): a box per
# value with its data and gradient, a circle per operation. Here is one neuron,
# `tanh(x1 w1 + x2 w2 + b)`, after `backward()`. Boxes may be named through a `label`
# attribute.

# %%
x1, x2, w1, w2, bias = Value(2.0), Value(0.0), Value(-3.0), Value(1.0), Value(6.8814)
for value, name in [(x1, "x1"), (x2, "x2"), (w1, "w1"), (w2, "w2"), (bias, "b")]:
    value.label = name
out = (x1 * w1 + x2 * w2 + bias).tanh()
out.label = "o"
out.backward()
SVG(autograd.draw(out))

# %% [markdown]
# Read it from the right: `do/do = 1`; tanh passes on `1 - o² = 0.5`; the sums pass 0.5 to
# each term; `w1`'s gradient is `x1 × 0.5 = 1`, and `w2`'s is 0 because `x2` is 0.

# %%
assert abs(out.data - 0.7071) < 1e-4
assert abs(w1.grad - 1.0) < 1e-4 and w2.grad == 0.0

# %% [markdown]
# ## 7. Training a network made of Values
#
# A neuron is a weighted sum and a nonlinearity; a layer is a list of neurons. Below, a
# 2 → 6 tanh → 1 network learns the two moons from 60 points with the binary cross-entropy
# written from `sigmoid` and `log`, and plain gradient descent. Every gradient comes from
# `backward()`: nowhere do we write a derivative.

# %%
rng = np.random.default_rng(0)
X, y = datasets.moons(n_samples=60, noise=0.1, random_state=0)
hidden = [[Value(w) for w in rng.normal(0, 1, size=3)] for _ in range(6)]  # w_x1, w_x2, bias
output = [Value(w) for w in rng.normal(0, 0.5, size=7)]  # 6 weights and a bias
parameters = [w for neuron in hidden for w in neuron] + output


def logit(point):
    h = [(n[0] * point[0] + n[1] * point[1] + n[2]).tanh() for n in hidden]
    return sum((w * hi for w, hi in zip(output, h)), output[-1])


def loss_of(points, labels):
    total = Value(0.0)
    for point, label in zip(points, labels):
        p = logit(point).sigmoid()
        total = total - (p.log() if label == 1 else (1 - p).log())
    return total / len(points)


losses = []
for _step in range(150):
    loss = loss_of(X, y)
    for w in parameters:
        w.grad = 0.0  # leaves accumulate: start each step from zero
    loss.backward()
    for w in parameters:
        w.data -= 0.5 * w.grad
    losses.append(loss.data)

accuracy = np.mean([(logit(p).data > 0) == label for p, label in zip(X, y)])
print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f}, training accuracy {accuracy:.2f}")
assert losses[-1] < 0.5 * losses[0] and accuracy >= 0.85

# %%
grid = np.linspace(-1.8, 2.8, 160), np.linspace(-1.3, 1.8, 120)
W1 = np.array([[n[0].data, n[1].data] for n in hidden]).T  # the weights, read back as arrays
b1 = np.array([n[2].data for n in hidden])
w2 = np.array([w.data for w in output[:-1]])
gx, gy = np.meshgrid(*grid)
Z = np.tanh(np.c_[gx.ravel(), gy.ravel()] @ W1 + b1) @ w2 + output[-1].data
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
left.plot(losses)
left.set_xlabel("step")
left.set_ylabel("mean cross-entropy")
left.set_title("Gradient descent on Values")
right.contourf(gx, gy, Z.reshape(gx.shape) > 0, levels=1, colors=["#cfe0f3", "#fbd9bd"])
right.scatter(*X[y == 0].T, s=14, c="tab:blue", label="class 0")
right.scatter(*X[y == 1].T, s=14, c="tab:orange", label="class 1")
right.set_title(f"What 25 Values learned (accuracy {accuracy:.2f})")
right.legend(loc="lower left", fontsize=8)
plt.show()

# %% [markdown]
# ## 8. The same over arrays: `Tensor`, and a check of `Dense.backward`
#
# One Value per number is slow: each step above built about 3,700 Values, half a million in
# all. `Tensor` applies the same recipe to whole NumPy arrays: `x @ W` sends `g @ Wᵀ` back to
# `x` and `xᵀ @ g` to `W`, and a bias added to every row gets its gradient summed over the
# rows. The library's `Dense` layer writes those formulas by hand in its `backward`; the engine
# derives them. They agree to the last digits, which is how the tests check every layer and
# every loss of scratchnn.

# %%
Tensor = autograd.Tensor

rng = np.random.default_rng(1)
layer = snn.Dense(3, 2, rng=rng)
x = rng.normal(size=(5, 3))
upstream = rng.normal(size=(5, 2))  # some dL/dy, as the next layer would send back

layer.forward(x)
dx = layer.backward(upstream)  # the hand-written chain rule

x_t, W_t, b_t = Tensor(x), Tensor(layer.W), Tensor(layer.b)
y_t = x_t @ W_t + b_t
(y_t * upstream).sum().backward()  # the engine's: d/dy of sum(y * upstream) is upstream

for name, hand, engine in [("dx", dx, x_t.grad), ("dW", layer.dW, W_t.grad),
                           ("db", layer.db, b_t.grad)]:
    print(f"{name}: largest difference {np.max(np.abs(hand - engine)):.1e}")
    assert np.allclose(hand, engine, rtol=1e-10, atol=1e-12)
SVG(autograd.draw((y_t * upstream).sum()))

# %% [markdown]
# ## Exercises
#
# 1. **A new operation.** Give the notebook's small `Value` class a `tanh` method (forward
#    `math.tanh`, backward `1 - tanh²`), and check the gradient of `tanh(a * b)` against the
#    library's `Value`.
# 2. **Check another layer.** Do for `snn.Sigmoid()` what section 8 did for `Dense`: compare
#    its `backward` with `Tensor.sigmoid()`.
#
# Solutions follow (collapsed in Jupyter: click the cell to open it).
#
# ## Solutions

# %% solution
# Exercise 1: tanh for the small Value class.
def small_tanh(self):
    out = SmallValue(math.tanh(self.data), (self,), "tanh")

    def _backward():  # d tanh(a)/da = 1 - tanh(a)^2
        self.grad += (1 - out.data**2) * out.grad

    out._backward = _backward
    return out


SmallValue.tanh = small_tanh
a_small, b_small = SmallValue(0.3), SmallValue(-1.2)
backward((a_small * b_small).tanh())  # the backward() of section 5
a_lib, b_lib = Value(0.3), Value(-1.2)
(a_lib * b_lib).tanh().backward()
print(f"ours: {a_small.grad:.10f} {b_small.grad:.10f}")
print(f"library: {a_lib.grad:.10f} {b_lib.grad:.10f}")
assert math.isclose(a_small.grad, a_lib.grad) and math.isclose(b_small.grad, b_lib.grad)

# %% solution
# Exercise 2: the Sigmoid layer against the engine.
rng = np.random.default_rng(2)
sigmoid_layer = snn.Sigmoid()
x = rng.normal(size=(4, 3))
upstream = rng.normal(size=(4, 3))
sigmoid_layer.forward(x)
dx = sigmoid_layer.backward(upstream)
x_t = Tensor(x)
(x_t.sigmoid() * upstream).sum().backward()
print(f"largest difference: {np.max(np.abs(dx - x_t.grad)):.1e}")
assert np.allclose(dx, x_t.grad, rtol=1e-10, atol=1e-12)

# %% [markdown]
# ## Next: build it yourself
#
# Reading an engine is half of learning it; writing one is the other half. `scratchnn
# exercises` gives you tasks in order, from the forward pass of a dense layer through the
# backward of softmax cross-entropy, Adam's step, a `Value`'s `__mul__` backward and the
# topological sort, and checks *your* code against the library's numbers:
#
# ```
# scratchnn exercises list            # the tasks, with a tick for each one you have passed
# scratchnn exercises start ./my-nn   # a folder of stubs to fill in, in your own editor
# cd my-nn && scratchnn exercises check   # which case failed, side by side, and a hint
# ```
