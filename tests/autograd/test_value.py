"""The scalar engine: micrograd's published example, each operation's derivative, the order
``backward`` walks, and agreement with PyTorch on random expressions."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchnn.autograd import Value, topological_order


def test_micrograd_readme_example():
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
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"


def test_micrograd_sanity_check():
    # micrograd's test_engine.py sanity check, whose numbers PyTorch gives
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert y.data == -20.0
    assert x.grad == 46.0


@pytest.mark.parametrize("op, derivative", [
    (lambda v: v.exp(), math.exp),
    (lambda v: v.log(), lambda x: 1 / x),
    (lambda v: v.tanh(), lambda x: 1 - math.tanh(x) ** 2),
    (lambda v: v.sigmoid(), lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2),
    (lambda v: v.relu(), lambda x: float(x > 0)),
    (lambda v: v**3, lambda x: 3 * x**2),
    (lambda v: -v, lambda x: -1.0),
    (lambda v: 1 / v, lambda x: -1 / x**2),
    (lambda v: 5 - v, lambda x: -1.0),
], ids=["exp", "log", "tanh", "sigmoid", "relu", "pow", "neg", "rdiv", "rsub"])
@pytest.mark.parametrize("x", [0.7, 2.5])
def test_each_operation_has_its_derivative(op, derivative, x):
    v = Value(x)
    op(v).backward()
    assert v.grad == pytest.approx(derivative(x), rel=1e-12)


def test_sigmoid_is_stable_for_huge_inputs():
    assert Value(-800.0).sigmoid().data == 0.0
    assert Value(800.0).sigmoid().data == 1.0


def test_a_value_used_twice_gets_both_gradients():
    a = Value(3.0)
    b = a * a
    assert b._prev == (a,)
    b.backward()
    assert a.grad == 6.0


def test_leaves_accumulate_across_backward_calls_intermediates_do_not():
    a = Value(3.0)
    b = a * 2.0
    c = b * 4.0
    c.backward()
    c.backward()
    assert a.grad == 16.0  # 8 + 8, as PyTorch accumulates into leaves
    assert b.grad == 4.0


def test_log_of_a_non_positive_number_says_so():
    with pytest.raises(ValueError, match="log needs a positive number, got -1"):
        Value(-1.0).log()


def test_pow_takes_a_number():
    with pytest.raises(TypeError, match="takes a number"):
        Value(2.0) ** Value(3.0)


def recursive_order(root):
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for child in node._prev:
                visit(child)
            order.append(node)

    visit(root)
    return order


def test_topological_order_puts_children_first_and_is_the_recursive_search():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert order == [a, b, c, d, e]
    assert order == recursive_order(e)
    position = {node: i for i, node in enumerate(order)}
    assert all(position[child] < position[node] for node in order for child in node._prev)


@given(st.lists(st.tuples(st.integers(0, 100), st.integers(0, 100), st.booleans()),
                min_size=1, max_size=30))
def test_topological_order_equals_the_recursive_search_on_random_graphs(steps):
    nodes = [Value(1.0), Value(2.0)]
    for i, j, multiply in steps:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        nodes.append(a * b if multiply else a + b)
    assert topological_order(nodes[-1]) == recursive_order(nodes[-1])


def test_a_long_chain_does_not_hit_the_recursion_limit():
    total = Value(0.0)
    leaves = [Value(float(i)) for i in range(5000)]
    for leaf in leaves:
        total = total + leaf
    total.backward()
    assert total.data == sum(range(5000))
    assert all(leaf.grad == 1.0 for leaf in leaves)


# --- random expressions against PyTorch ---------------------------------------------------------

UNARY = {
    "neg": lambda x: -x,
    "exp": lambda x: x.tanh().exp(),  # tanh first: values stay small, exp never overflows
    "log": lambda x: (x * x + 1).log(),
    "tanh": lambda x: x.tanh(),
    "relu": lambda x: x.relu(),
    "sigmoid": lambda x: x.sigmoid(),
    "square": lambda x: x**2,
    "cube": lambda x: x**3,
    "sqrt": lambda x: (x * x + 0.5) ** 0.5,
    "inverse": lambda x: (x * x + 1) ** -1,
    "add_number": lambda x: x + 1.5,
    "number_minus": lambda x: 2.0 - x,
    "number_times": lambda x: 0.5 * x,
    "number_over": lambda x: 3.0 / (x * x + 1),
}
BINARY = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / (y * y + 1),
    "squash_mul": lambda x, y: x.tanh() * y.sigmoid(),
}

steps = st.one_of(
    st.tuples(st.sampled_from(sorted(UNARY)), st.integers(0, 1000)),
    st.tuples(st.sampled_from(sorted(BINARY)), st.integers(0, 1000), st.integers(0, 1000)),
)


def evaluate(program, leaves):
    """Run ``program`` on ``leaves`` (Values or torch tensors: the same operators) and
    return the last result."""
    nodes = list(leaves)
    for op, *args in program:
        inputs = [nodes[i % len(nodes)] for i in args]
        nodes.append((UNARY.get(op) or BINARY[op])(*inputs))
    return nodes[-1] * nodes[-2]  # the result depends on the last two steps at least


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=3, max_size=3),
       st.lists(steps, min_size=1, max_size=12))
def test_random_expressions_agree_with_pytorch(inputs, program):
    torch = pytest.importorskip("torch")
    values = [Value(x) for x in inputs]
    out = evaluate(program, values)
    out.backward()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    expected = evaluate(program, tensors)
    expected.backward()
    assert math.isclose(out.data, expected.item(), rel_tol=1e-10, abs_tol=1e-10)
    for value, tensor in zip(values, tensors):
        torch_grad = 0.0 if tensor.grad is None else tensor.grad.item()
        assert math.isclose(value.grad, torch_grad, rel_tol=1e-10, abs_tol=1e-10), (
            program, value.grad, torch_grad)
