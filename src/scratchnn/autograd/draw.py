"""``draw``: a small computation graph as an SVG picture, with no graphviz.

Every Value (or Tensor) is a box showing its data and gradient (a Tensor: its shape); every
operation is a circle between its inputs and its result, with arrows from left to right, as
micrograd's lecture draws them. The layout follows ``topological_order``: a leaf sits in the
first column, a result two columns right of its rightmost input (its operation in between), and
each column is filled top to bottom in that order, so the same graph always gives the same
picture.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

from .._files import atomic_write
from .tensor import Tensor
from .value import Value, topological_order

MAX_NODES = 500  # a picture of more boxes than this is unreadable anyway
BOX_W, BOX_H, OP_R = 150, 40, 20  # box width and height, operation circle radius (pixels)
GAP, ROW_GAP, MARGIN = 36, 16, 12
PITCH = BOX_W + 2 * GAP + 2 * OP_R  # from one column of boxes to the next


def draw(root: Value | Tensor, path: str | os.PathLike | None = None) -> str:
    """The graph that computed ``root``, as SVG text; also written to ``path`` if given.

    In a notebook: ``IPython.display.SVG(draw(loss))``. Boxes show ``data`` and ``grad`` (call
    ``root.backward()`` first to see gradients), or the shape for a Tensor, after the node's
    ``label`` if it has one (``x.label = "x"`` names a box)."""
    if not isinstance(root, (Value, Tensor)):
        raise TypeError(f"draw takes a Value or a Tensor, got {type(root).__name__}")
    order = topological_order(root)
    if len(order) > MAX_NODES:
        raise ValueError(f"draw shows graphs of up to {MAX_NODES} values, this one has "
                         f"{len(order)}; draw a smaller expression")
    column, row, rows_used = {}, {}, {}
    for node in order:  # children come first, so their columns are known
        column[node] = 2 + max(column[c] for c in node._prev) if node._prev else 0
        row[node] = rows_used.get(column[node], 0)
        rows_used[column[node]] = row[node] + 1
    width = MARGIN * 2 + PITCH * (max(column.values()) // 2) + BOX_W
    height = MARGIN * 2 + max(rows_used.values()) * (BOX_H + ROW_GAP) - ROW_GAP
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="12">',
             '<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="6" '
             'markerHeight="6" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker>'
             '</defs>']
    for node in order:
        x, y = _box_corner(column[node], row[node])
        parts.append(_box(x, y, node))
        if node._prev:  # the operation's circle, left of the box, and the arrows through it
            cx, cy = x - GAP - OP_R, y + BOX_H / 2
            for child in node._prev:
                child_x, child_y = _box_corner(column[child], row[child])
                parts.append(_arrow(child_x + BOX_W, child_y + BOX_H / 2, cx - OP_R, cy))
            parts.append(f'<g class="op"><circle cx="{cx}" cy="{cy}" r="{OP_R}" fill="#fde2c8" '
                         f'stroke="#555"/><text x="{cx}" y="{cy + 4}" text-anchor="middle">'
                         f'{escape(node._op)}</text></g>')
            parts.append(_arrow(cx + OP_R, cy, x, cy))
    parts.append("</svg>")
    svg = "\n".join(parts) + "\n"
    if path is not None:
        atomic_write(path, lambda tmp: Path(tmp).write_text(svg, encoding="utf-8"))
    return svg


def _box_corner(column: int, row: int) -> tuple[int, int]:
    """The top-left corner of the box in an (even) ``column`` and a ``row``."""
    return MARGIN + PITCH * (column // 2), MARGIN + row * (BOX_H + ROW_GAP)


def _box(x: float, y: float, node: Value | Tensor) -> str:
    """A node's box: data and grad for a Value, shape (and whether it has a grad) for a Tensor."""
    if isinstance(node, Tensor):
        lines = [f"shape {node.shape}", "grad" if node.requires_grad else "no grad"]
    else:
        lines = [f"data {node.data:.4f}", f"grad {node.grad:.4f}"]
    label = getattr(node, "label", "")
    if label:  # the name in front of the first line, the second line indented to match
        lines = [f"{label} {lines[0]}", " " * (len(label) + 1) + lines[1]]
    text = "".join(f'<text x="{x + 8}" y="{y + 16 + 15 * i}" xml:space="preserve">'
                   f'{escape(line)}</text>'
                   for i, line in enumerate(lines))
    return (f'<g class="node"><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="4" '
            f'fill="#e3effa" stroke="#555"/>{text}</g>')


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    return (f'<line class="edge" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#555" '
            'marker-end="url(#arrow)"/>')
