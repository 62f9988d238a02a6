"""``draw``: the SVG parses, holds one box per value, one circle per operation and one arrow
per edge, is the same on every call, and is written atomically when given a path."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from scratchnn.autograd import Tensor, Value, draw

SVG = "{http://www.w3.org/2000/svg}"


def parts(svg: str) -> dict[str, list[ET.Element]]:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    found = {"node": [], "op": [], "edge": []}
    for element in root.iter():
        if element.get("class") in found:
            found[element.get("class")].append(element)
    return found


def test_a_known_expression_has_its_boxes_operations_and_arrows():
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    d = c + a  # boxes a, b, c, d; operations *, +; arrows a->*, b->*, *->c, c->+, a->+, +->d
    d.backward()
    found = parts(draw(d))
    assert len(found["node"]) == 4
    assert sorted(op.find(f"{SVG}text").text for op in found["op"]) == ["*", "+"]
    assert len(found["edge"]) == 6
    texts = ["".join(node.itertext()) for node in found["node"]]
    assert "data -4.0000grad 1.0000" in texts  # d: its data, and d d/d d = 1
    assert "data 2.0000grad -2.0000" in texts  # a: d d / d a = b + 1


def test_operations_are_escaped_and_the_drawing_is_deterministic():
    x = Value(0.5)
    y = (x**2).tanh()
    assert draw(y) == draw(y)
    ops = [op.find(f"{SVG}text").text for op in parts(draw(y))["op"]]
    assert ops == ["**2", "tanh"]


def test_a_label_names_a_box():
    x = Value(3.0)
    x.label = "x"
    texts = ["".join(node.itertext()) for node in parts(draw(x * 2))["node"]]
    assert "x data 3.0000  grad 0.0000" in texts


def test_a_tensor_graph_shows_shapes():
    x = Tensor(np.ones((4, 2)), requires_grad=False)
    w = Tensor(np.ones((2, 3)))
    loss = (x @ w).tanh().sum()
    found = parts(draw(loss))
    texts = ["".join(node.itertext()) for node in found["node"]]
    assert texts == ["shape (4, 2)no grad", "shape (2, 3)grad", "shape (4, 3)grad",
                     "shape (4, 3)grad", "shape ()grad"]
    assert len(found["op"]) == 3 and len(found["edge"]) == 3 + 4


def test_written_to_a_path_and_returned(tmp_path):
    v = Value(1.0) + Value(2.0)
    path = tmp_path / "graph.svg"
    svg = draw(v, path)
    assert path.read_text(encoding="utf-8") == svg
    assert [p.name for p in tmp_path.iterdir()] == ["graph.svg"]  # no temporary file left


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(OSError, match="cannot write"):
        draw(Value(1.0) * 2, tmp_path / "no" / "graph.svg")


def test_what_it_refuses():
    with pytest.raises(TypeError, match="draw takes a Value or a Tensor, got float"):
        draw(1.0)
    total = Value(0.0)
    for i in range(600):
        total = total + i
    with pytest.raises(ValueError, match="up to 500 values"):
        draw(total)
