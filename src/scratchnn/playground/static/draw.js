// Drawing on canvas: maps in TF Playground's orange/blue and the data points.
// (The network's drawing is network.js, the loss chart output.js.)
// Everything drawn is computed by the server (scratchnn's NumPy engine); this file only paints.

export const ORANGE = [245, 147, 34];
export const BLUE = [8, 119, 189];
export const MIDDLE = [232, 234, 235];
// Colours for 3 or more classes: TF Playground's two first, then more that read on white.
export const CLASS_COLOURS = [ORANGE, BLUE, [95, 165, 90], [155, 89, 182], [225, 87, 89],
  [237, 201, 72], [118, 183, 178], [140, 86, 75]];

export const css = (rgb, alpha = 1) => `rgba(${rgb[0]}, ${rgb[1]}, ${rgb[2]}, ${alpha})`;
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

// --- maps as bytes ---------------------------------------------------------------------------
// The server sends every map over the plane as bytes: q in 0..255 stands for v = q / 127.5 - 1
// in [-1, 1]. A colour table maps each of the 256 bytes to its colour once, so painting a map is
// one table look-up per pixel into an ImageData that is reused from frame to frame.

// 256 colours, as packed RGBA words (Uint32Array) for ImageData, from a value v in [-1, 1].
export function colourTable(colourOf) {
  const bytes = new Uint8ClampedArray(256 * 4);
  for (let q = 0; q < 256; q++) {
    const rgb = colourOf(q / 127.5 - 1);
    bytes.set([rgb[0], rgb[1], rgb[2], 255], 4 * q);
  }
  return new Uint32Array(bytes.buffer);
}

// The orange..grey..blue scale, and its two-colour form (the "Discretize output" box).
export const DIVERGING = colourTable(diverging);
export const DISCRETE = colourTable((v) => diverging(v > 0 ? 1 : -1));

// One class's probability map (p = (v + 1) / 2) in that class's colour, light grey at 0.
export const classTable = (colour) => colourTable((v) => mix(MIDDLE, colour, (v + 1) / 2));

// A reusable grid x grid image: an offscreen canvas, its ImageData and that data as words.
export function mapImage(grid) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = grid;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(grid, grid);
  return { canvas, ctx, image, words: new Uint32Array(image.data.buffer) };
}

// Paint bytes[offset .. offset + grid * grid) through a colour table into a map image.
export function paintMap(map, bytes, offset, table) {
  const { words } = map;
  for (let i = 0; i < words.length; i++) words[i] = table[bytes[offset + i]];
  map.ctx.putImageData(map.image, 0, 0);
  return map.canvas;
}

// Values in [-1, 1] (floats) as bytes, the way the server encodes its maps.
export function toBytes(values, out = new Uint8Array(values.length)) {
  for (let i = 0; i < values.length; i++) {
    out[i] = Math.round((Math.max(-1, Math.min(1, values[i])) + 1) * 127.5);
  }
  return out;
}

// A grid x grid image of float values already in [-1, 1] (the features' thumbnails: made once
// per network, never per frame).
export function heatmap(values, grid) {
  return paintMap(mapImage(grid), toBytes(values), 0, DIVERGING);
}

// k class-probability maps (bytes, k x grid x grid) into one image: the likeliest class's
// colour, faded towards grey where the network is unsure.
function paintClasses(map, bytes, k, discretize) {
  const n = map.words.length;
  const data = map.image.data;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (bytes[c * n + i] > bytes[best * n + i]) best = c;
    const confidence = discretize ? 1 : (bytes[best * n + i] / 255 - 1 / k) / (1 - 1 / k);
    const rgb = mix(MIDDLE, CLASS_COLOURS[best % CLASS_COLOURS.length], Math.max(0, confidence));
    data[4 * i] = rgb[0];
    data[4 * i + 1] = rgb[1];
    data[4 * i + 2] = rgb[2];
    data[4 * i + 3] = 255;
  }
  map.ctx.putImageData(map.image, 0, 0);
  return map.canvas;
}

let outputMap = null; // the output's image, reused from frame to frame

// The output map of a frame (bytes: k maps of grid x grid) as an image.
export function outputImage(net, boundary, discretize) {
  if (!outputMap || outputMap.canvas.width !== net.grid) outputMap = mapImage(net.grid);
  if (net.k > 2) return paintClasses(outputMap, boundary, net.k, discretize);
  return paintMap(outputMap, boundary, 0, discretize ? DISCRETE : DIVERGING);
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

