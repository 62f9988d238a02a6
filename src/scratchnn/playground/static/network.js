// The network's drawing: every unit's output over the plane as a small map, the weights as
// curves between the units (blue positive, orange negative, thicker when larger), the biases as
// small squares at each unit's bottom-left (as TensorFlow Playground draws them).
//
// The drawing fills the width of its column and is laid out again when that width changes. Its
// maps are painted, each frame, into offscreen canvases made once per layout, through colour
// tables (draw.js): a frame creates no canvas. Hover a weight or a bias for its value and its
// name in the code; click it, or choose it with the arrow keys and press Enter, to edit it.
import {
  BLUE, CLASS_COLOURS, DISCRETE, DIVERGING, ORANGE, classTable, css, diverging, mapImage,
  paintMap, toBytes,
} from "./draw.js";

const BIAS = -1; // `from` of a bias in a set_weight message
const PICK = 6; // how near (CSS px) the pointer must come to a curve to pick it
const SAMPLES = 32; // points along each curve, for picking it

const fixed = (v) => (v === 0 || Math.abs(v) >= 0.01 ? v.toFixed(2) : v.toExponential(1));
const small = (v) => (v === 0 || Math.abs(v) >= 1e-3 ? v.toPrecision(3) : v.toExponential(2));

// The name of a weight or a bias in the code panel's Python: Dense layer c is layers[2 * c]
// (an activation layer sits between two Dense layers).
export function codeName(layer, from, to) {
  return from === BIAS ? `model.layers[${2 * layer}].b[${to}]`
    : `model.layers[${2 * layer}].W[${from}, ${to}]`;
}

// Every dense layer's W (row-major, n_in x n_out) and b, from the flat array a frame carries.
export function splitWeights(sizes, flat) {
  const layers = [];
  let at = 0;
  for (let c = 0; c + 1 < sizes.length; c++) {
    const n = sizes[c] * sizes[c + 1];
    layers.push({ W: flat.subarray(at, at + n), b: flat.subarray(at + n, at + n + sizes[c + 1]) });
    at += n + sizes[c + 1];
  }
  return layers;
}

// Where every unit sits, in CSS pixels, for a drawing `width` wide: columns of squares whose
// side grows with the room between columns, the rest of that room left to the curves.
export function layout(sizes, width) {
  const margin = 12;
  const columns = sizes.length;
  const room = (width - 2 * margin) / Math.max(1, columns - 1);
  const box = Math.round(Math.max(16, Math.min(56, room * 0.4)));
  const step = columns > 1 ? (width - 2 * margin - box) / (columns - 1) : 0;
  const gap = Math.max(12, Math.round(box * 0.4));
  const top = 8;
  const nodes = sizes.map((n, c) => Array.from({ length: n }, (_, i) => (
    { x: margin + box / 2 + c * step, y: top + box / 2 + i * (box + gap), box })));
  const bias = Math.max(6, Math.round(box * 0.2));
  return { nodes, box, bias, height: top + Math.max(...sizes) * (box + gap) };
}

// Where on a unit's edge the k-th of its n connections meets it: spread over the middle of
// the edge, so that the curves leaving (or entering) one unit stay apart and each can be picked.
const port = (k, n, box) => (n > 1 ? (k / (n - 1) - 0.5) * 0.8 * box : 0);

// The curve of the connection from unit i of `from` to unit j of `to` (two columns of units):
// from the right edge of one to the left edge of the other, as a cubic Bezier's 4 points.
export function connectionPoints(from, to, i, j) {
  const [a, b] = [from[i], to[j]];
  const start = [a.x + a.box / 2, a.y + port(j, to.length, a.box)];
  const end = [b.x - b.box / 2, b.y + port(i, from.length, b.box)];
  const mid = (start[0] + end[0]) / 2;
  return [start, [mid, start[1]], [mid, end[1]], end];
}

export function bezier(points, t) {
  const [p0, p1, p2, p3] = points;
  const u = 1 - t;
  return [0, 1].map((k) => u * u * u * p0[k] + 3 * u * u * t * p1[k] + 3 * u * t * t * p2[k]
    + t * t * t * p3[k]);
}

// The bias square of a unit: at its bottom-left corner, just outside the box and below the
// curves that enter it.
function biasRect(node, side) {
  return { x: node.x - node.box / 2 - side - 1, y: node.y + node.box / 2 + 1, side };
}

// Distance from (x, y) to the polyline of a curve's samples [x0, y0, x1, y1, ...].
function distanceTo(samples, x, y) {
  let best = Infinity;
  for (let k = 0; k + 3 < samples.length; k += 2) {
    const [ax, ay, bx, by] = [samples[k], samples[k + 1], samples[k + 2], samples[k + 3]];
    const dx = bx - ax;
    const dy = by - ay;
    const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy || 1)));
    best = Math.min(best, Math.hypot(ax + t * dx - x, ay + t * dy - y));
  }
  return best;
}

export class NetworkView {
  // `elements`: canvas, zoom (canvas), editor (form), input (its number box), controls (the
  // +/- buttons' box); `onSetWeight({layer, from, to, value})` sends an edit to the server.
  constructor(elements, onSetWeight) {
    Object.assign(this, elements);
    this.onSetWeight = onSetWeight;
    this.wrap = this.canvas.parentElement;
    this.net = null;
    this.layers = []; // [{W, b}] of the newest frame
    this.bytes = null; // {boundary, neurons} of the newest frame
    this.arithmetic = null;
    this.discretize = false;
    this.nodes = [];
    this.numbers = []; // what the inspected point's numbers drawn are: [{column, unit, text}]
    this.draws = 0;
    this.width = 0;
    this.hover = null; // the weight or bias under the pointer: {layer, from, to}
    this.chosen = null; // the one the keyboard chose
    this.editing = null;
    this.tooltip = Object.assign(document.createElement("div"), { className: "weight-tooltip" });
    this.tooltip.setAttribute("role", "tooltip");
    this.tooltip.id = "weight-tooltip";
    this.tooltip.hidden = true;
    this.live = Object.assign(document.createElement("p"), { id: "network-choice",
      className: "network-choice", textContent: "" });
    this.live.setAttribute("aria-live", "polite");
    this.wrap.append(this.tooltip);
    this.wrap.after(this.live);
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-describedby", "network-choice");
    this.wire();
    new ResizeObserver(() => {
      if (this.wrap.clientWidth !== this.width) this.relayout();
    }).observe(this.wrap);
  }

  // --- a new network: layout, offscreen maps, the input maps (fixed for the network's life) --

  setNetwork(net) {
    this.net = net;
    this.layers = [];
    this.bytes = null;
    this.arithmetic = null;
    this.hover = this.chosen = null;
    this.lastControls = null; // the caller lays out the new network's +/- buttons
    this.closeEditor(false);
    const g = net.grid * net.grid;
    this.maps = net.sizes.map((n) => Array.from({ length: n }, () => mapImage(net.grid)));
    const last = net.sizes.length - 1;
    this.tables = net.sizes[last] > 1
      ? Array.from({ length: net.sizes[last] }, (_, c) => classTable(CLASS_COLOURS[c % CLASS_COLOURS.length]))
      : null;
    // Inputs: each feature scaled by its largest magnitude over the plane.
    this.maps[0].forEach((map, i) => {
      const values = net.inputs.subarray(i * g, (i + 1) * g);
      let top = 1e-9;
      for (const v of values) top = Math.max(top, Math.abs(v));
      paintMap(map, toBytes(values.map((v) => v / top)), 0, DIVERGING);
    });
    const hidden = net.sizes.slice(1, -1);
    this.canvas.setAttribute("aria-label", `The network: ${net.sizes[0]} inputs `
      + `(${net.features.join(", ")}), ${hidden.length ? `hidden layers of ${hidden.join(", ")} `
      + "units" : "no hidden layer"}, ${net.sizes[last]} output${net.sizes[last] > 1 ? "s" : ""}. `
      + "Each square is a unit's output over the plane; curves are weights (blue positive, orange "
      + "negative), small squares biases. Arrow keys choose a weight, Enter edits it.");
    this.relayout();
  }

  relayout() {
    if (!this.net) return;
    this.width = this.wrap.clientWidth;
    const { nodes, height, bias } = layout(this.net.sizes, this.width);
    this.nodes = nodes;
    this.biasSide = bias;
    this.height = height;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.style.height = `${height}px`;
    this.canvas.width = Math.round(this.width * dpr);
    this.canvas.height = Math.round(height * dpr);
    // every curve, and points along it for picking: [layer][from * n_out + to]
    this.curves = nodes.slice(0, -1).map((column, c) => column.flatMap((_, i) => nodes[c + 1].map(
      (__, j) => connectionPoints(column, nodes[c + 1], i, j))));
    this.samples = this.curves.map((curves) => curves.map((points) => {
      const out = new Float32Array(2 * (SAMPLES + 1));
      for (let k = 0; k <= SAMPLES; k++) out.set(bezier(points, k / SAMPLES), 2 * k);
      return out;
    }));
    if (this.lastControls) this.layerControls(...this.lastControls);
    this.draw();
  }

  // --- a new frame: weights (floats) and maps (bytes) -------------------------------------------

  setFrame({ layers, boundary, neurons, arithmetic = null }) {
    this.layers = layers;
    this.bytes = { boundary, neurons };
    this.arithmetic = arithmetic;
  }

  value(layer, from, to) {
    const l = this.layers[layer];
    if (!l) return NaN;
    return from === BIAS ? l.b[to] : l.W[from * this.net.sizes[layer + 1] + to];
  }

  grad(layer, from, to) {
    const g = this.arithmetic && this.arithmetic.grads && this.arithmetic.grads[layer];
    if (!g) return null;
    return from === BIAS ? g.b[to] : g.W[from][to];
  }

  describe({ layer, from, to }) {
    const text = `${codeName(layer, from, to)} = ${fixed(this.value(layer, from, to))}`;
    const grad = this.grad(layer, from, to);
    const by = from === BIAS ? "b" : "w";
    return grad === null || grad === undefined ? text : `${text}\n∂L/∂${by} = ${small(grad)}`;
  }

  // --- painting --------------------------------------------------------------------------------

  paintMaps() {
    const { net, bytes } = this;
    const g = net.grid * net.grid;
    let offset = 0;
    for (let c = 1; c + 1 < net.sizes.length; c++) {
      this.maps[c].forEach((map) => { paintMap(map, bytes.neurons, offset, DIVERGING); offset += g; });
    }
    const out = this.maps[net.sizes.length - 1];
    if (this.tables) out.forEach((map, c) => paintMap(map, bytes.boundary, c * g, this.tables[c]));
    else paintMap(out[0], bytes.boundary, 0, this.discretize ? DISCRETE : DIVERGING);
  }

  draw() {
    if (!this.net || !this.nodes.length) return;
    this.draws += 1;
    if (this.bytes) this.paintMaps();
    const ctx = this.canvas.getContext("2d");
    const dpr = this.canvas.width / this.width;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.width, this.height);
    this.drawCurves(ctx);
    this.drawUnits(ctx);
    for (const mark of [this.hover, this.chosen]) if (mark) this.drawMark(ctx, mark);
    this.numbers = [];
    if (this.arithmetic) this.drawNumbers(ctx, this.arithmetic);
  }

  drawCurves(ctx) {
    const { nodes } = this;
    for (let c = 0; c + 1 < nodes.length; c++) {
      const W = this.layers[c] && this.layers[c].W;
      const nOut = nodes[c + 1].length;
      for (let i = 0; i < nodes[c].length; i++) {
        for (let j = 0; j < nOut; j++) {
          const w = W ? W[i * nOut + j] : 0;
          const [p0, p1, p2, p3] = this.curves[c][i * nOut + j];
          ctx.beginPath();
          ctx.moveTo(...p0);
          ctx.bezierCurveTo(...p1, ...p2, ...p3);
          ctx.strokeStyle = css(w >= 0 ? BLUE : ORANGE, Math.min(1, 0.25 + Math.abs(w) / 2));
          ctx.lineWidth = Math.min(8, 0.5 + Math.abs(w) * 1.5);
          ctx.stroke();
        }
      }
    }
  }

  drawUnits(ctx) {
    ctx.imageSmoothingEnabled = true;
    this.nodes.forEach((column, c) => column.forEach((node, i) => {
      const left = node.x - node.box / 2;
      const top = node.y - node.box / 2;
      if (c === 0 || this.bytes) ctx.drawImage(this.maps[c][i].canvas, left, top, node.box, node.box);
      ctx.strokeStyle = "#888";
      ctx.lineWidth = 1;
      ctx.strokeRect(left, top, node.box, node.box);
      if (c === 0) return;
      const r = biasRect(node, this.biasSide);
      const b = this.layers[c - 1] ? this.layers[c - 1].b[i] : 0;
      ctx.fillStyle = css(diverging(b));
      ctx.fillRect(r.x, r.y, r.side, r.side);
      ctx.strokeStyle = "#555";
      ctx.strokeRect(r.x + 0.5, r.y + 0.5, r.side - 1, r.side - 1);
    }));
  }

  // The weight or bias under the pointer or chosen by the keyboard: outlined in ink.
  drawMark(ctx, { layer, from, to }) {
    const node = this.nodes[layer + 1] && this.nodes[layer + 1][to];
    if (!node) return;
    ctx.strokeStyle = "#111";
    if (from === BIAS) {
      const r = biasRect(node, this.biasSide);
      ctx.lineWidth = 2;
      ctx.strokeRect(r.x - 2, r.y - 2, r.side + 4, r.side + 4);
      return;
    }
    const [p0, p1, p2, p3] = this.curves[layer][from * this.nodes[layer + 1].length + to];
    ctx.beginPath();
    ctx.moveTo(...p0);
    ctx.bezierCurveTo(...p1, ...p2, ...p3);
    ctx.lineWidth = 2.5;
    ctx.setLineDash([5, 3]);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  // The inspected point: where it lies on every map (a ring), each input's value, and each
  // unit's z (the weighted sum) and a (its activation), legible on a white band.
  drawNumbers(ctx, arithmetic) {
    const [x0, x1, y0, y1] = this.net.domain;
    const fx = (arithmetic.x[0] - x0) / (x1 - x0);
    const fy = (y1 - arithmetic.x[1]) / (y1 - y0);
    const font = Math.max(9, Math.min(12, Math.round(this.nodes[0][0].box / 3.4)));
    ctx.font = `${font}px sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    this.nodes.forEach((column, c) => column.forEach((node, i) => {
      const left = node.x - node.box / 2;
      const top = node.y - node.box / 2;
      if (fx >= 0 && fx <= 1 && fy >= 0 && fy <= 1) {
        ctx.beginPath();
        ctx.arc(left + fx * node.box, top + fy * node.box, 2.5, 0, 2 * Math.PI);
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = "#000";
        ctx.stroke();
      }
      const layer = c > 0 && arithmetic.layers[c - 1];
      const lines = c === 0 ? [fixed(arithmetic.inputs[i])]
        : [`z ${fixed(layer.z[i])}`, `a ${fixed(layer.a[i])}`];
      const band = lines.length * (font + 1) + 2;
      // the band goes to the half of the map the point is not in, so its ring stays in sight
      const bandTop = fy > 0.5 ? top + 1 : top + node.box - band - 1;
      ctx.fillStyle = "rgba(255, 255, 255, 0.85)";
      ctx.fillRect(left + 1, bandTop, node.box - 2, band);
      ctx.fillStyle = "#111";
      lines.forEach((text, k) => ctx.fillText(text, node.x,
        bandTop + (k + 0.5) * (font + 1) + 1, node.box - 2));
      this.numbers.push({ column: c, unit: i, text: lines.join(" "),
        band: fy > 0.5 ? "top" : "bottom" });
    }));
  }

  // --- picking ---------------------------------------------------------------------------------

  // The weight or bias at (x, y) in CSS px, or null: a bias square first, else the nearest curve.
  weightAt(x, y) {
    const bias = this.biasAt(x, y);
    if (bias) return bias;
    let best = null;
    let bestDistance = PICK;
    this.samples.forEach((curves, c) => {
      const nOut = this.nodes[c + 1].length;
      const xs = [this.nodes[c][0].x, this.nodes[c + 1][0].x];
      if (x < xs[0] || x > xs[1]) return;
      curves.forEach((samples, k) => {
        const d = distanceTo(samples, x, y);
        if (d < bestDistance) [best, bestDistance] = [{ layer: c, from: Math.floor(k / nOut), to: k % nOut }, d];
      });
    });
    return best;
  }

  biasAt(x, y) {
    for (let c = 1; c < this.nodes.length; c++) {
      for (let j = 0; j < this.nodes[c].length; j++) {
        const r = biasRect(this.nodes[c][j], this.biasSide);
        if (x >= r.x - 2 && x <= r.x + r.side + 2 && y >= r.y - 2 && y <= r.y + r.side + 2) {
          return { layer: c - 1, from: BIAS, to: j };
        }
      }
    }
    return null;
  }

  nodeAt(x, y) {
    for (let c = 0; c < this.nodes.length; c++) {
      for (let i = 0; i < this.nodes[c].length; i++) {
        const n = this.nodes[c][i];
        if (Math.abs(x - n.x) <= n.box / 2 && Math.abs(y - n.y) <= n.box / 2) return [c, i];
      }
    }
    return null;
  }

  // A point (CSS px) where a weight can be picked: for a bias its square's centre; for a curve
  // its point farthest from every other curve of its layer, with that clearance.
  pickPoint(layer, from, to) {
    if (from === BIAS) {
      const r = biasRect(this.nodes[layer + 1][to], this.biasSide);
      return { x: r.x + r.side / 2, y: r.y + r.side / 2, clearance: r.side / 2 };
    }
    const nOut = this.nodes[layer + 1].length;
    const own = this.samples[layer][from * nOut + to];
    let best = { clearance: -1 };
    for (let k = 4; k <= 2 * SAMPLES - 4; k++) { // clear of the boxes at the ends
      const [x, y] = bezier(this.curves[layer][from * nOut + to], k / (2 * SAMPLES));
      if (this.biasAt(x, y)) continue;
      let clearance = Infinity;
      this.samples[layer].forEach((samples) => {
        if (samples !== own) clearance = Math.min(clearance, distanceTo(samples, x, y));
      });
      if (clearance > best.clearance) best = { x, y, clearance };
    }
    return best;
  }

  // --- pointer, keyboard, editor ---------------------------------------------------------------

  pointer(event) {
    const rect = this.canvas.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }

  showTooltip(mark, x, y) {
    this.tooltip.textContent = this.describe(mark);
    this.tooltip.hidden = false;
    const left = Math.max(0, Math.min(x + 14, this.width - this.tooltip.offsetWidth));
    this.tooltip.style.left = `${left}px`;
    this.tooltip.style.top = `${y + 14}px`;
  }

  onMove(event) {
    const [x, y] = this.pointer(event);
    const hit = this.nodeAt(x, y);
    const mark = hit ? null : this.layers.length ? this.weightAt(x, y) : null;
    this.canvas.style.cursor = hit ? "zoom-in" : mark ? "pointer" : "default";
    if (JSON.stringify(mark) !== JSON.stringify(this.hover)) {
      this.hover = mark;
      this.draw();
    }
    if (mark) this.showTooltip(mark, x, y);
    else this.tooltip.hidden = true;
    this.showZoom(hit);
  }

  showZoom(hit) {
    if (!hit || (hit[0] > 0 && !this.bytes)) {
      this.zoom.hidden = true;
      return;
    }
    const n = this.nodes[hit[0]][hit[1]];
    const ctx = this.zoom.getContext("2d");
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(this.maps[hit[0]][hit[1]].canvas, 0, 0, this.zoom.width, this.zoom.height);
    this.zoom.style.left = `${Math.max(0, Math.min(n.x + n.box / 2 + 8, this.width - 182))}px`;
    this.zoom.style.top = `${Math.max(0, n.y - 90)}px`;
    this.zoom.hidden = false;
  }

  // The keyboard's order in a layer: unit by unit, each unit's incoming weights then its bias.
  choose(layer, index) {
    const nIn = this.net.sizes[layer] + 1;
    const count = nIn * this.net.sizes[layer + 1];
    const k = Math.max(0, Math.min(count - 1, index));
    const from = k % nIn === nIn - 1 ? BIAS : k % nIn;
    this.chosen = { layer, from, to: Math.floor(k / nIn), index: k };
    const what = from === BIAS ? `bias of unit ${this.chosen.to}`
      : `weight from unit ${from} to unit ${this.chosen.to}`;
    const text = this.describe(this.chosen).replace("\n", ", ");
    this.live.textContent = `Chosen: ${text} (${what} of layer ${layer + 1}). Enter edits it.`;
    const p = this.pickPoint(layer, from, this.chosen.to);
    this.showTooltip(this.chosen, p.x, p.y);
    this.draw();
  }

  onKey(event) {
    if (!this.net || this.net.sizes.length < 2 || !this.layers.length) return;
    const c = this.chosen;
    const moves = {
      ArrowLeft: () => this.choose(Math.max(0, c.layer - 1), c.index),
      ArrowRight: () => this.choose(Math.min(this.net.sizes.length - 2, c.layer + 1), c.index),
      ArrowUp: () => this.choose(c.layer, c.index - 1),
      ArrowDown: () => this.choose(c.layer, c.index + 1),
      Enter: () => {
        const p = this.pickPoint(c.layer, c.from, c.to);
        this.openEditor(c, p.x, p.y);
      },
    };
    if (!(event.key in moves)) return;
    event.preventDefault();
    if (!c) this.choose(0, 0);
    else moves[event.key]();
  }

  openEditor(mark, x, y) {
    this.editing = { layer: mark.layer, from: mark.from, to: mark.to };
    this.editor.querySelector("label").firstChild.nodeValue = mark.from === BIAS ? "Bias " : "Weight ";
    this.editor.style.left = `${Math.max(0, Math.min(x, this.width - 180))}px`;
    this.editor.style.top = `${y + 8}px`;
    this.editor.hidden = false;
    this.tooltip.hidden = true;
    this.input.value = this.value(mark.layer, mark.from, mark.to).toFixed(3);
    this.input.focus();
    this.input.select();
  }

  closeEditor(refocus = true) {
    const wasOpen = !this.editor.hidden;
    this.editor.hidden = true;
    this.editing = null;
    if (refocus && wasOpen) this.canvas.focus();
  }

  wire() {
    const { canvas } = this;
    canvas.addEventListener("mousemove", (e) => this.onMove(e));
    canvas.addEventListener("mouseleave", () => {
      this.zoom.hidden = true;
      this.tooltip.hidden = true;
      if (this.hover) {
        this.hover = null;
        this.draw();
      }
    });
    canvas.addEventListener("click", (e) => {
      const [x, y] = this.pointer(e);
      const mark = this.layers.length ? this.weightAt(x, y) : null;
      if (mark) this.openEditor(mark, x, y);
    });
    canvas.addEventListener("keydown", (e) => this.onKey(e));
    canvas.addEventListener("focus", () => {
      if (!this.chosen && this.layers.length) this.choose(0, 0);
    });
    canvas.addEventListener("blur", () => {
      if (this.editor.hidden) this.tooltip.hidden = true;
    });
    this.editor.addEventListener("submit", (e) => {
      e.preventDefault();
      const value = Number(this.input.value);
      const edit = this.editing;
      this.closeEditor();
      if (edit) this.onSetWeight({ ...edit, value });
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        this.closeEditor();
      }
    });
  }

  // --- the +/- buttons of every hidden layer ---------------------------------------------------

  // One +/- pair per hidden layer, above its column. Rebuilding them keeps the keyboard focus:
  // on the same button, or its neighbour when that one is gone or disabled.
  layerControls(hidden, { low, high }, onChange) {
    this.lastControls = [hidden, { low, high }, onChange];
    const box = this.controls;
    const focused = box.contains(document.activeElement) ? document.activeElement.dataset.key : null;
    box.replaceChildren();
    hidden.forEach((size, layer) => {
      const column = this.nodes[layer + 1];
      if (!column) return;
      const div = Object.assign(document.createElement("div"), { className: "layer-control" });
      div.style.left = `${column[0].x}px`;
      const grow = (by) => () => {
        const next = [...hidden];
        next[layer] += by;
        onChange(next);
      };
      div.append(
        button("+", `Add neuron to layer ${layer + 1}`, `add-${layer}`, size >= high, grow(1)),
        button("\u2212", `Remove neuron from layer ${layer + 1}`, `remove-${layer}`, size <= low, grow(-1)),
        Object.assign(document.createElement("div"), { textContent: `${size} neuron${size === 1 ? "" : "s"}` }));
      box.append(div);
    });
    if (focused) refocus(box, focused);
  }
}

function button(text, label, key, disabled, onClick) {
  const b = Object.assign(document.createElement("button"), { className: "round small", textContent: text, title: label, disabled });
  b.setAttribute("aria-label", label);
  b.dataset.key = key;
  b.addEventListener("click", onClick);
  return b;
}

// Focus the button `key` names, or the nearest one that can take focus.
function refocus(box, key) {
  const buttons = [...box.querySelectorAll("button")];
  const [kind, layer] = key.split("-");
  const other = kind === "add" ? "remove" : "add";
  const order = [key, `${other}-${layer}`];
  for (let l = Number(layer) - 1; l >= 0; l--) order.push(`${kind}-${l}`, `${other}-${l}`);
  const target = order.map((k) => buttons.find((b) => b.dataset.key === k))
    .find((b) => b && !b.disabled) || buttons.find((b) => !b.disabled);
  if (target) target.focus();
}
