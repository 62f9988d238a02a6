// Drawing on canvas: heatmaps in TF Playground's orange/blue, points, the network.
// Everything drawn is computed by the server (scratchnn's NumPy engine); this file only paints.

export const ORANGE = [245, 147, 34];
export const BLUE = [8, 119, 189];
const MIDDLE = [232, 234, 235];
// Colours for 3 or more classes: TF Playground's two first, then more that read on white.
export const CLASS_COLOURS = [ORANGE, BLUE, [95, 165, 90], [155, 89, 182], [225, 87, 89],
  [237, 201, 72], [118, 183, 178], [140, 86, 75]];

const css = (rgb, alpha = 1) => `rgba(${rgb[0]}, ${rgb[1]}, ${rgb[2]}, ${alpha})`;
const mix = (a, b, t) => [0, 1, 2].map((i) => a[i] + (b[i] - a[i]) * t);

// A value in [-1, 1] (clamped) as orange (-1) .. light grey (0) .. blue (+1).
export function diverging(v) {
  const t = Math.max(-1, Math.min(1, Number.isFinite(v) ? v : 0));
  return t < 0 ? mix(MIDDLE, ORANGE, -t) : mix(MIDDLE, BLUE, t);
}

// Decode base64 of little-endian float32 (what the server sends) into a Float32Array.
export function f32(text) {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

// A grid x grid image of values already in [-1, 1], on a small offscreen canvas.
export function heatmap(values, grid, offset = 0, discretize = false) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = grid;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(grid, grid);
  for (let i = 0; i < grid * grid; i++) {
    let v = values[offset + i];
    if (discretize) v = v > 0 ? 1 : -1;
    const c = diverging(v);
    image.data.set([c[0], c[1], c[2], 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

// k class-probability maps (k x grid x grid) as one image: the likeliest class's colour,
// faded towards white where the network is unsure.
export function classMap(probs, k, grid, discretize = false) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = grid;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(grid, grid);
  const n = grid * grid;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[c * n + i] > probs[best * n + i]) best = c;
    const confidence = discretize ? 1 : (probs[best * n + i] - 1 / k) / (1 - 1 / k);
    const rgb = mix(MIDDLE, CLASS_COLOURS[best % CLASS_COLOURS.length], Math.max(0, confidence));
    image.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

// One class's probability map (values in [0, 1]) in that class's colour, white at 0.
export function classHeat(values, offset, grid, colour) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = grid;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(grid, grid);
  for (let i = 0; i < grid * grid; i++) {
    const rgb = mix(MIDDLE, colour, Math.max(0, Math.min(1, values[offset + i])));
    image.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

// The output map of a frame as an image (binary: p in [0, 1] -> [-1, 1]).
export function outputImage(net, boundary, discretize) {
  if (net.problem === "regression") return heatmap(boundary, net.grid, 0, discretize);
  if (net.k > 2) return classMap(boundary, net.k, net.grid, discretize);
  const centred = boundary.map((p) => 2 * p - 1);
  return heatmap(centred, net.grid, 0, discretize);
}

// The boundary (or regression surface) with the data points on top.
export function drawBoundary(canvas, net, image, showTest) {
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  ctx.imageSmoothingEnabled = true;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.globalAlpha = 0.75; // a lighter map, as in TF Playground, so the points stand out on it
  if (image) ctx.drawImage(image, 0, 0, width, height);
  ctx.globalAlpha = 1;
  const [x0, x1, y0, y1] = net.domain;
  const n = showTest ? net.labels.length : net.nTrain;
  for (let i = 0; i < n; i++) {
    const px = ((net.points[2 * i] - x0) / (x1 - x0)) * width;
    const py = ((y1 - net.points[2 * i + 1]) / (y1 - y0)) * height;
    const label = net.labels[i];
    let colour;
    if (net.problem === "regression") colour = diverging(label);
    else if (net.k > 2) colour = CLASS_COLOURS[label % CLASS_COLOURS.length];
    else colour = label > 0.5 ? BLUE : ORANGE;
    ctx.beginPath();
    ctx.arc(px, py, 3.2, 0, 2 * Math.PI);
    ctx.fillStyle = css(colour);
    ctx.fill();
    ctx.lineWidth = 1;
    ctx.strokeStyle = i < net.nTrain ? "#fff" : "#000";
    ctx.stroke();
  }
  drawAxes(ctx, net.domain, width, height);
}

function drawAxes(ctx, domain, width, height) {
  ctx.fillStyle = "rgba(0, 0, 0, 0.55)";
  ctx.font = "10px sans-serif";
  const fmt = (v) => (Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(1));
  ctx.textAlign = "left";
  ctx.fillText(fmt(domain[0]), 3, height - 3);
  ctx.textAlign = "right";
  ctx.fillText(fmt(domain[1]), width - 3, height - 3);
  ctx.fillText(fmt(domain[3]), width - 3, 11);
}

// Where every node of the network sits on its canvas: columns of squares.
export function layout(sizes, width, height, box = 34) {
  const columns = sizes.length;
  const margin = box / 2 + 8;
  const step = columns > 1 ? (width - 2 * margin) / (columns - 1) : 0;
  const gap = Math.min(14, (height - 20 - Math.max(...sizes) * box) / Math.max(...sizes));
  return sizes.map((n, c) => {
    const x = margin + c * step;
    return Array.from({ length: n }, (_, i) => ({ x, y: 10 + box / 2 + i * (box + gap), box }));
  });
}

// The curve of one connection (from the right edge of a node to the left edge of the next).
export function connectionPoints(a, b) {
  const start = [a.x + a.box / 2, a.y];
  const end = [b.x - b.box / 2, b.y];
  const mid = (start[0] + end[0]) / 2;
  return [start, [mid, start[1]], [mid, end[1]], end];
}

export function bezier(points, t) {
  const [p0, p1, p2, p3] = points;
  const u = 1 - t;
  return [0, 1].map((k) => u * u * u * p0[k] + 3 * u * u * t * p1[k] + 3 * u * t * t * p2[k]
    + t * t * t * p3[k]);
}

// The network: weights as curves (blue positive, orange negative, width ~ |w|), then every
// node's heatmap. `maps[c][i]` is the image of node i of column c.
export function drawNetwork(canvas, nodes, weights, maps) {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (let c = 0; c + 1 < nodes.length; c++) {
    const W = weights[c];
    for (let i = 0; i < nodes[c].length; i++) {
      for (let j = 0; j < nodes[c + 1].length; j++) {
        const w = W ? W[i * nodes[c + 1].length + j] : 0;
        const [p0, p1, p2, p3] = connectionPoints(nodes[c][i], nodes[c + 1][j]);
        ctx.beginPath();
        ctx.moveTo(...p0);
        ctx.bezierCurveTo(...p1, ...p2, ...p3);
        ctx.strokeStyle = css(w >= 0 ? BLUE : ORANGE, Math.min(1, 0.25 + Math.abs(w) / 2));
        ctx.lineWidth = Math.min(8, 0.5 + Math.abs(w) * 1.5);
        ctx.stroke();
      }
    }
  }
  ctx.imageSmoothingEnabled = true;
  nodes.forEach((column, c) => column.forEach((node, i) => {
    const left = node.x - node.box / 2;
    const top = node.y - node.box / 2;
    const image = maps[c] && maps[c][i];
    if (image) ctx.drawImage(image, left, top, node.box, node.box);
    ctx.strokeStyle = "#888";
    ctx.lineWidth = 1;
    ctx.strokeRect(left, top, node.box, node.box);
  }));
}
