"""The exercises on the scalar autograd engine (chapter ``autograd``): a ``Value``'s ``+``,
``*`` and ``tanh`` with their backward closures, the topological order of a graph, and the
backward pass through all of it.

The learner writes functions (``value_add(a, b) -> Value``) rather than methods, so each can be
checked alone: the harness builds ``scratchnn.autograd.Value`` leaves, calls the function, sets
the result's ``grad`` and runs its ``_backward``; the reference does the same with the
library's own operator. Graphs are built with the library's operators from a small recipe
(``d = a * b; e = d + c``), so every name in a message is one the learner can find.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..autograd import Value
from ..autograd.value import topological_order as library_order
from .task import Case, Outputs, Task, WrongAnswer, body_of, generator

VALUE_IMPORTS = "import math\n\nimport numpy as np\n\nfrom scratchnn.autograd import Value\n"
SAME = "a (the same Value)"  # the second operand is the first one: a + a, a * a


def method_as_function(method: Callable) -> str:
    """A ``Value`` method's body as the exercise's function body: ``self`` and ``other``
    become ``a`` and ``b`` (the exercises take Values, so the line that wraps a plain number
    goes)."""
    lines = [line for line in body_of(method).splitlines()
             if not line.startswith("other = other if isinstance(other, Value)")]
    body = "\n".join(lines) + "\n"
    return re.sub(r"\bother\b", "b", re.sub(r"\bself\b", "a", body))


def _describe(result: Any) -> str:
    return "None" if result is None else f"a {type(result).__name__}"


def _checked_value(out: Any, operands: list, op_hint: str) -> Any:
    """``out`` if it is a ``Value`` whose ``_prev`` holds the operands, else ``WrongAnswer``."""
    if not isinstance(out, Value):
        forgot = " (did you forget 'return out'?)" if out is None else ""
        raise WrongAnswer(f"returned {_describe(out)}{forgot}; build and return a new Value: "
                          f"out = {op_hint}")
    prev = {id(child) for child in getattr(out, "_prev", ())}
    if not all(id(operand) in prev for operand in operands):
        raise WrongAnswer(f"the result's _prev does not hold its operands, so backward could "
                          f"never reach them; pass them as children: out = {op_hint}")
    return out


def _binary_harness(op_hint: str) -> Callable[[Callable, dict], Outputs]:
    def harness(fn: Callable, inputs: dict) -> Outputs:
        a = Value(inputs["a"])
        b = a if inputs["b"] == SAME else Value(inputs["b"])
        out = _checked_value(fn(a, b), [a, b], op_hint)
        out.grad = inputs["out.grad"]
        out._backward()
        found = {"out.data": out.data, "a.grad": a.grad}
        if b is not a:
            found["b.grad"] = b.grad
        return found

    return harness


def _unary_harness(fn: Callable, inputs: dict) -> Outputs:
    a = Value(inputs["a"])
    out = _checked_value(fn(a), [a], "Value(math.tanh(a.data), (a,), 'tanh')")
    out.grad = inputs["out.grad"]
    out._backward()
    return {"out.data": out.data, "a.grad": a.grad}


def _binary_cases(task_id: str) -> list[Case]:
    cases = []
    for index in range(3):
        a, b, g = generator(task_id, index).normal(size=3) * 2
        cases.append(Case({"a": float(a), "b": float(b), "out.grad": float(g)}))
    a, g = generator(task_id, 3).normal(size=2) * 2
    cases.append(Case({"a": float(a), "b": SAME, "out.grad": float(g)},
                      note="the same Value twice: its grad must collect both contributions"))
    return cases


def _unary_cases(task_id: str) -> list[Case]:
    return [Case({"a": float(a), "out.grad": float(g)})
            for a, g in (generator(task_id, i).normal(size=2) * 2 for i in range(3))]


def value_add(a, b):
    return a + b


def value_mul(a, b):
    return a * b


def value_tanh(a):
    return a.tanh()


# --- graphs --------------------------------------------------------------------------------------

OPERATORS: dict[str, Callable] = {"+": lambda x, y: x + y, "*": lambda x, y: x * y,
                                  "tanh": lambda x: x.tanh(), "exp": lambda x: x.exp(),
                                  "relu": lambda x: x.relu()}


@dataclass(frozen=True)
class Graph:
    """A small expression, one step per line: ``(("d", "*", "a", "b"), ("e", "+", "d", "c"))``
    reads ``d = a * b; e = d + c``; the last step is the root."""

    steps: tuple[tuple[str, ...], ...]

    def __str__(self) -> str:
        parts = [f"{name} = {args[0]} {op} {args[1]}" if len(args) == 2
                 else f"{name} = {args[0]}.{op}()" for name, op, *args in self.steps]
        return "; ".join(parts) + f" (the root: {self.steps[-1][0]})"

    def build(self, leaves: dict[str, float]) -> tuple[Any, dict[int, str]]:
        """The root ``Value`` and ``{id(node): name}`` for every node of the graph (nodes the
        library's operators add on their own get a made-up name)."""
        nodes = {name: Value(data) for name, data in leaves.items()}
        for name, op, *args in self.steps:
            nodes[name] = OPERATORS[op](*(nodes[arg] for arg in args))
        names = {id(node): name for name, node in nodes.items()}
        root = nodes[self.steps[-1][0]]
        for index, node in enumerate(all_nodes(root)):
            names.setdefault(id(node), f"({node._op or 'constant'} #{index})")
        return root, names


def all_nodes(root: Any) -> list:
    """Every node reachable from ``root`` through ``_prev``, each once."""
    seen, stack, found = set(), [root], []
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            found.append(node)
            stack.extend(node._prev)
    return found


GRAPHS = [
    Graph((("d", "*", "a", "b"), ("e", "+", "d", "c"))),
    Graph((("d", "*", "a", "b"), ("e", "+", "d", "c"), ("f", "tanh", "e"), ("g", "*", "f", "a"))),
    Graph((("d", "+", "a", "b"), ("e", "*", "d", "d"), ("f", "exp", "c"), ("g", "+", "e", "f"),
           ("h", "*", "g", "b"), ("i", "relu", "h"))),
]


def _graph_cases(task_id: str) -> list[Case]:
    cases = []
    for index, graph in enumerate(GRAPHS):
        a, b, c = generator(task_id, index).normal(size=3)
        cases.append(Case({"graph": graph, "a": float(a), "b": float(b), "c": float(c) + 1.0},
                          note="a node used twice" if index else ""))
    return cases


def _leaves(inputs: dict) -> dict[str, float]:
    return {name: inputs[name] for name in ("a", "b", "c")}


def _order_harness(fn: Callable, inputs: dict) -> Outputs:
    root, names = inputs["graph"].build(_leaves(inputs))
    order = fn(root)
    library = ", ".join(names[id(node)] for node in library_order(root))
    _check_order(order, root, names, library)
    return {"nodes": ", ".join(sorted(names[id(node)] for node in order))}


def _check_order(order: Any, root: Any, names: dict[int, str], library: str) -> None:
    """``WrongAnswer`` unless ``order`` lists every node of the graph once, each after its
    children."""
    if not isinstance(order, (list, tuple)):
        raise WrongAnswer(f"returned {_describe(order)}; return a list of the graph's Values, "
                          "leaves first")
    placed: dict[int, int] = {}
    for position, node in enumerate(order):
        if not isinstance(node, Value):
            raise WrongAnswer(f"item {position} of the list is {_describe(node)}, not a Value")
        if id(node) in placed:
            raise WrongAnswer(f"{names.get(id(node), '?')} appears twice in your order: keep the "
                              "nodes you have visited in a set, and skip them")
        placed[id(node)] = position
    yours = ", ".join(names.get(id(node), "?") for node in order)
    for node in all_nodes(root):
        if id(node) not in placed:
            raise WrongAnswer(f"{names[id(node)]} is missing from your order [{yours}]; visit "
                              f"every child in node._prev. The library's order: [{library}]")
        for child in node._prev:
            if placed.get(id(child), -1) > placed[id(node)]:
                raise WrongAnswer(
                    f"{names[id(node)]} comes before its child {names[id(child)]} in your order "
                    f"[{yours}]: a node must come after every node it is computed from (append "
                    f"a node after visiting its children). The library's order: [{library}]")
    if len(placed) != len(names):
        raise WrongAnswer(f"your order [{yours}] holds nodes that are not in this graph")


def _backward_harness(fn: Callable, inputs: dict) -> Outputs:
    root, names = inputs["graph"].build(_leaves(inputs))
    fn(root)
    nodes = sorted(all_nodes(root), key=lambda node: names[id(node)])
    return {f"{names[id(node)]}.grad": node.grad for node in nodes}


def topological_order(root):
    return library_order(root)


def backward(root):
    root.backward()


BINARY_HINT = "Value({}, (a, b), '{}') with out._backward set"

VALUE_TASKS = [
    Task(
        id="value_add", title="A Value's __add__ and its backward", chapter="autograd",
        teaches="an autograd node: the forward value, the children it came from, and a "
                "closure that passes the gradient back; + passes it unchanged",
        signature="(a, b)",
        docstring="a + b as a new Value, with the backward closure that a Value's __add__ "
                  "sets.\n\na, b: Values -> out: a Value with out._prev = {a, b}; "
                  "out._backward() adds\nd out / d a * out.grad to a.grad (and likewise for b)",
        hints=("out = Value(a.data + b.data, (a, b), '+'); then define def _backward(): ... "
               "and set out._backward = _backward.",
               "d(a + b)/da = 1: the closure adds out.grad to a.grad and to b.grad.",
               "Use += , not =: when a and b are the same Value (a + a), both contributions "
               "must add up."),
        cases=lambda: _binary_cases("value_add"), reference=value_add,
        outputs=("out.data", "a.grad", "b.grad"),
        harness=_binary_harness(BINARY_HINT.format("a.data + b.data", "+")),
        solution=method_as_function(Value.__add__),
        source="scratchnn.autograd.Value.__add__"),
    Task(
        id="value_mul", title="A Value's __mul__ and its backward", chapter="autograd",
        teaches="the product rule as a closure: each factor's gradient is the other factor "
                "times the output's gradient",
        signature="(a, b)",
        docstring="a * b as a new Value, with the backward closure that a Value's __mul__ "
                  "sets.\n\na, b: Values -> out: a Value with out._prev = {a, b}",
        hints=("d(a * b)/da = b and d(a * b)/db = a.",
               "The closure: a.grad += b.data * out.grad; b.grad += a.data * out.grad.",
               "Use += : for a * a the two terms add up to 2 a, the derivative of a^2."),
        cases=lambda: _binary_cases("value_mul"), reference=value_mul,
        outputs=("out.data", "a.grad", "b.grad"),
        harness=_binary_harness(BINARY_HINT.format("a.data * b.data", "*")),
        solution=method_as_function(Value.__mul__),
        source="scratchnn.autograd.Value.__mul__"),
    Task(
        id="value_tanh", title="tanh backward on a Value", chapter="autograd",
        teaches="a function of one Value: its local derivative 1 - tanh^2 times the output's "
                "gradient",
        signature="(a)",
        docstring="tanh(a) as a new Value, with its backward closure.\n\n"
                  "a: a Value -> out: a Value with out._prev = {a}",
        hints=("t = math.tanh(a.data); out = Value(t, (a,), 'tanh').",
               "d tanh(a)/da = 1 - t^2: the closure adds (1 - t * t) * out.grad to a.grad."),
        cases=lambda: _unary_cases("value_tanh"), reference=value_tanh,
        outputs=("out.data", "a.grad"), harness=_unary_harness,
        solution=method_as_function(Value.tanh),
        source="scratchnn.autograd.Value.tanh"),
    Task(
        id="topological_order", title="Topological sort", chapter="autograd",
        teaches="the order backward needs: every node after all the nodes it is computed from, "
                "found by a depth-first walk",
        signature="(root)",
        docstring="Every Value the root depends on (and the root), each once, leaves first:\n"
                  "each node comes after all of its children (node._prev).\n\n"
                  "root: a Value -> a list of Values, the root last",
        hints=("Walk depth first: visit(node) visits each child in node._prev, then appends "
               "the node itself.",
               "Keep the nodes already visited in a set (of id(node)) so that a node used twice "
               "is listed once."),
        cases=lambda: _graph_cases("topological_order"), reference=topological_order,
        outputs=("nodes",), harness=_order_harness,
        solution=body_of(library_order),
        source="scratchnn.autograd.value.topological_order"),
    Task(
        id="backward", title="Backward through a whole Value graph", chapter="autograd",
        teaches="backpropagation is each node's closure, run once, from the root to the "
                "leaves, starting from d root / d root = 1",
        signature="(root)",
        docstring="Fill the grad of every Value in root's graph with d root / d node.\n\n"
                  "root: a Value (every grad starts at 0) -> None",
        hints=("The root's gradient with respect to itself is 1: set root.grad = 1.0.",
               "Then call node._backward() for every node in reverse topological order (your "
               "topological_order above), so a node's grad is complete before it is passed on."),
        cases=lambda: _graph_cases("backward"), reference=backward, outputs=("grads",),
        harness=_backward_harness,
        solution="root.grad = 1.0\n"
                 "for node in reversed(topological_order(root)):\n"
                 "    node._backward()\n",
        source="scratchnn.autograd.Value.backward"),
]
