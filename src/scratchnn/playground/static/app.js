// The playground page: controls, the URL (which holds every setting and the seed), the
// WebSocket to this tab's training session, and what to draw when a frame arrives.
import {
  drawBoundary, drawLossChart, drawNetwork, f32, heatmap, layout, connectionPoints, bezier,
  outputImage, classHeat, CLASS_COLOURS,
} from "./draw.js";

const $ = (id) => document.getElementById(id);
const DATASETS = {
  classification: [["circles", "Circle"], ["xor", "Exclusive or"], ["gaussians", "Gaussian"],
    ["spirals", "Spiral (3 arms)"], ["moons", "Moons"]],
  regression: [["plane", "Plane"], ["multi-gaussian", "Multi Gaussian"]],
};
const FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"];
const FEATURE_FUNCS = {
  "x1": (a) => a, "x2": (a, b) => b, "x1^2": (a) => a * a, "x2^2": (a, b) => b * b,
  "x1*x2": (a, b) => a * b, "sin(x1)": (a) => Math.sin(a), "sin(x2)": (a, b) => Math.sin(b),
};
const MAX_LAYERS = 6;
const MAX_NEURONS = 8;
const DEFAULTS = {
  dataset: "circles", noise: 0, train_ratio: 0.5, batch_size: 10, features: ["x1", "x2"],
  hidden: [4, 2], activation: "tanh", lr: 0.03, optimizer: "sgd", regularization: "none",
  reg_rate: 0, problem: "classification", seed: 1,
};
const NUMBERS = ["noise", "train_ratio", "batch_size", "lr", "reg_rate", "seed"];
const SELECTS = ["lr", "activation", "optimizer", "regularization", "reg_rate", "problem"];

let settings = { ...DEFAULTS };
const view = { show_test: false, discretize: false };
let net = null; // the layout from the last "network" message, decoded
let frame = null; // the newest frame, decoded
let lossHistory = []; // [{epoch, train, test}] for the loss chart
let playing = false;
let socket = null;
let drawPending = false;
let nodes = [];
let nodeMaps = [];
let editing = null;
let sent = 0; // messages are numbered; the server's answers carry the number they answer
let newestLayoutRequest = 0; // the newest message that asks for a new layout

// --- the URL ---------------------------------------------------------------------------------

function readUrl() {
  const params = new URLSearchParams(location.search);
  const out = { ...DEFAULTS };
  for (const [key, value] of params) {
    if (key === "features") out.features = value ? value.split(",") : [];
    else if (key === "hidden") out.hidden = value ? value.split(",").map(Number) : [];
    else if (NUMBERS.includes(key)) out[key] = Number(value);
    else if (key in DEFAULTS) out[key] = value;
    else if (key in view) view[key] = value === "1";
  }
  return out;
}

function writeUrl() {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(settings)) {
    params.set(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  for (const [key, value] of Object.entries(view)) params.set(key, value ? "1" : "0");
  history.replaceState(null, "", `?${params.toString()}`);
}

// --- controls ----------------------------------------------------------------------------------

function fillDatasets() {
  const select = $("dataset");
  select.replaceChildren();
  for (const [value, text] of DATASETS[settings.problem]) select.add(new Option(text, value));
  if (net && net.upload) select.add(new Option(`Your CSV: ${net.upload}`, "upload"));
  select.value = settings.dataset;
}

function showControls() {
  fillDatasets();
  for (const key of SELECTS) $(key).value = String(settings[key]);
  $("train_ratio").value = Math.round(settings.train_ratio * 100);
  $("train_ratio-value").textContent = `${Math.round(settings.train_ratio * 100)}%`;
  $("noise").value = settings.noise;
  $("noise-value").textContent = String(settings.noise);
  $("batch_size").value = Math.min(30, settings.batch_size);
  $("batch_size-value").textContent = String(settings.batch_size);
  for (const name of FEATURES) $(`f-${name}`).checked = settings.features.includes(name);
  $("n-layers").textContent = String(settings.hidden.length);
  $("show_test").checked = view.show_test;
  $("discretize").checked = view.discretize;
  $("add-layer").disabled = settings.hidden.length >= MAX_LAYERS;
  $("remove-layer").disabled = settings.hidden.length === 0;
}

function change(update) {
  settings = { ...settings, ...update };
  writeUrl();
  send({ type: "config", settings });
}

function buildFeatureList() {
  const list = $("feature-list");
  for (const name of FEATURES) {
    const label = document.createElement("label");
    label.className = "feature";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.id = `f-${name}`;
    box.addEventListener("change", () => {
      const chosen = FEATURES.filter((f) => $(`f-${f}`).checked);
      if (chosen.length === 0) {
        box.checked = true;
        showMessage("keep at least one feature: the network needs an input");
        return;
      }
      change({ features: chosen });
    });
    const text = document.createElement("span");
    text.textContent = name;
    const thumb = document.createElement("canvas");
    thumb.width = thumb.height = 20;
    thumb.id = `thumb-${name}`;
    thumb.setAttribute("aria-hidden", "true");
    label.append(box, text, thumb);
    list.append(label);
  }
}

function drawFeatureThumbs() {
  if (!net) return;
  const [x0, x1, y0, y1] = net.domain;
  const n = 20;
  for (const name of FEATURES) {
    const values = new Float32Array(n * n);
    let top = 1e-9;
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const v = FEATURE_FUNCS[name](x0 + ((x1 - x0) * c) / (n - 1), y1 - ((y1 - y0) * r) / (n - 1));
        values[r * n + c] = v;
        top = Math.max(top, Math.abs(v));
      }
    }
    const image = heatmap(values.map((v) => v / top), n);
    $(`thumb-${name}`).getContext("2d").drawImage(image, 0, 0);
  }
}

function layerControls() {
  const box = $("layer-controls");
  box.replaceChildren();
  const canvas = $("network");
  const scale = canvas.getBoundingClientRect().width / canvas.width || 1;
  settings.hidden.forEach((size, layer) => {
    const column = nodes[layer + 1];
    if (!column) return;
    const div = document.createElement("div");
    div.className = "layer-control";
    div.style.left = `${column[0].x * scale}px`;
    const add = button("+", `Add neuron to layer ${layer + 1}`, size >= MAX_NEURONS, () => {
      const hidden = [...settings.hidden];
      hidden[layer] += 1;
      change({ hidden });
    });
    const remove = button("\u2212", `Remove neuron from layer ${layer + 1}`, size <= 1, () => {
      const hidden = [...settings.hidden];
      hidden[layer] -= 1;
      change({ hidden });
    });
    const text = document.createElement("div");
    text.textContent = `${size} neuron${size === 1 ? "" : "s"}`;
    div.append(add, remove, text);
    box.append(div);
  });
}

function button(text, label, disabled, onClick) {
  const b = document.createElement("button");
  b.className = "round small";
  b.textContent = text;
  b.setAttribute("aria-label", label);
  b.title = label;
  b.disabled = disabled;
  b.addEventListener("click", onClick);
  return b;
}

function wireControls() {
  for (const key of SELECTS) {
    $(key).addEventListener("change", (e) => {
      const value = e.target.value;
      if (key === "problem") {
        change({ problem: value, dataset: DATASETS[value][0][0] });
      } else {
        change({ [key]: ["lr", "reg_rate"].includes(key) ? Number(value) : value });
      }
    });
  }
  $("dataset").addEventListener("change", (e) => change({ dataset: e.target.value }));
  $("train_ratio").addEventListener("change", (e) => change({ train_ratio: Number(e.target.value) / 100 }));
  $("noise").addEventListener("change", (e) => change({ noise: Number(e.target.value) }));
  $("batch_size").addEventListener("change", (e) => change({ batch_size: Number(e.target.value) }));
  for (const key of ["train_ratio", "noise", "batch_size"]) {
    $(key).addEventListener("input", (e) => {
      const v = Number(e.target.value);
      $(`${key}-value`).textContent = key === "train_ratio" ? `${v}%` : String(v);
    });
  }
  $("regenerate").addEventListener("click", () => {
    change({ seed: crypto.getRandomValues(new Uint32Array(1))[0] % 2147483647 });
  });
  $("add-layer").addEventListener("click", () => {
    if (settings.hidden.length < MAX_LAYERS) change({ hidden: [...settings.hidden, 2] });
  });
  $("remove-layer").addEventListener("click", () => {
    if (settings.hidden.length > 0) change({ hidden: settings.hidden.slice(0, -1) });
  });
  $("play").addEventListener("click", () => send({ type: playing ? "pause" : "play" }));
  $("step").addEventListener("click", () => send({ type: "step" }));
  $("reset").addEventListener("click", () => send({ type: "reset" }));
  $("download").addEventListener("click", () => send({ type: "download" }));
  $("copy-code").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText($("code").textContent);
    } catch {
      showMessage("the browser refused the clipboard: select the code and copy it by hand");
    }
  });
  for (const key of ["show_test", "discretize"]) {
    $(key).addEventListener("change", (e) => {
      view[key] = e.target.checked;
      writeUrl();
      scheduleDraw();
    });
  }
  $("upload").addEventListener("change", upload);
  document.addEventListener("keydown", (e) => {
    const tag = e.target.tagName;
    if (e.code !== "Space" || ["INPUT", "SELECT", "TEXTAREA", "BUTTON"].includes(tag)) return;
    e.preventDefault();
    send({ type: playing ? "pause" : "play" });
  });
  wireNetworkCanvas();
}

async function upload(e) {
  const file = e.target.files[0];
  e.target.value = "";
  if (!file) return;
  if (file.size > 5 * 1024 * 1024) {
    showMessage(`${file.name} is larger than 5 MB; upload at most 5 MB`);
    return;
  }
  send({ type: "upload", name: file.name, text: await file.text(), problem: settings.problem });
}

// --- hover to enlarge, click to edit a weight --------------------------------------------------

function canvasPoint(canvas, event) {
  const rect = canvas.getBoundingClientRect();
  const scale = canvas.width / rect.width;
  return [(event.clientX - rect.left) * scale, (event.clientY - rect.top) * scale, 1 / scale];
}

function nodeAt(x, y) {
  for (let c = 0; c < nodes.length; c++) {
    for (let i = 0; i < nodes[c].length; i++) {
      const n = nodes[c][i];
      if (Math.abs(x - n.x) <= n.box / 2 && Math.abs(y - n.y) <= n.box / 2) return [c, i];
    }
  }
  return null;
}

function connectionAt(x, y) {
  let best = null;
  let bestDistance = 5;
  for (let c = 0; c + 1 < nodes.length; c++) {
    for (let i = 0; i < nodes[c].length; i++) {
      for (let j = 0; j < nodes[c + 1].length; j++) {
        const points = connectionPoints(nodes[c][i], nodes[c + 1][j]);
        for (let t = 0; t <= 1; t += 1 / 24) {
          const [px, py] = bezier(points, t);
          const d = Math.hypot(px - x, py - y);
          if (d < bestDistance) [best, bestDistance] = [{ layer: c, from: i, to: j }, d];
        }
      }
    }
  }
  return best;
}

function wireNetworkCanvas() {
  const canvas = $("network");
  const zoom = $("neuron-zoom");
  canvas.addEventListener("mousemove", (e) => {
    const [x, y, toCss] = canvasPoint(canvas, e);
    const hit = nodeAt(x, y);
    const image = hit && nodeMaps[hit[0]] && nodeMaps[hit[0]][hit[1]];
    canvas.style.cursor = hit ? "zoom-in" : connectionAt(x, y) ? "pointer" : "default";
    if (!image) {
      zoom.hidden = true;
      return;
    }
    const n = nodes[hit[0]][hit[1]];
    const ctx = zoom.getContext("2d");
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(image, 0, 0, zoom.width, zoom.height);
    const left = (n.x + n.box / 2 + 8) * toCss;
    zoom.style.left = `${Math.min(left, canvas.clientWidth - 182)}px`;
    zoom.style.top = `${Math.max(0, (n.y - 90) * toCss)}px`;
    zoom.hidden = false;
  });
  canvas.addEventListener("mouseleave", () => { zoom.hidden = true; });
  canvas.addEventListener("click", (e) => {
    const [x, y, toCss] = canvasPoint(canvas, e);
    const hit = connectionAt(x, y);
    if (!hit || !frame) return;
    editing = hit;
    const editor = $("weight-editor");
    editor.style.left = `${x * toCss}px`;
    editor.style.top = `${y * toCss + 8}px`;
    editor.hidden = false;
    $("weight-value").value = frame.layers[hit.layer].W[hit.from * nodes[hit.layer + 1].length + hit.to].toFixed(3);
    $("weight-value").focus();
    $("weight-value").select();
  });
  $("weight-editor").addEventListener("submit", (e) => {
    e.preventDefault();
    const value = Number($("weight-value").value);
    $("weight-editor").hidden = true;
    if (editing) send({ type: "set_weight", ...editing, value });
    editing = null;
  });
  $("weight-value").addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      $("weight-editor").hidden = true;
      editing = null;
    }
  });
}

// --- messages ----------------------------------------------------------------------------------

function showMessage(text) {
  const box = $("message");
  box.textContent = text;
  box.hidden = false;
}

function send(message) {
  if (!socket || socket.readyState !== WebSocket.OPEN) return;
  sent += 1;
  if (["config", "upload", "reset"].includes(message.type)) newestLayoutRequest = sent;
  socket.send(JSON.stringify({ ...message, id: sent }));
}

// An answer to an older request than the newest one for a layout is already overtaken: its
// settings must not overwrite what the user changed since (the newer answer follows).
const overtaken = (m) => newestLayoutRequest > 0 && m.id !== newestLayoutRequest;

function setPlaying(value) {
  playing = value;
  const b = $("play");
  b.setAttribute("aria-label", value ? "Pause" : "Play");
  b.querySelector("path").setAttribute("d", value ? "M6 5h4v14H6zM14 5h4v14h-4z" : "M8 5v14l11-7z");
}

function onNetwork(m) {
  const k = m.settings.problem === "regression" ? 1 : Math.max(2, m.classes.length);
  net = {
    version: m.version, sizes: m.sizes, grid: m.grid, domain: m.domain, k,
    problem: m.settings.problem, points: f32(m.points), labels: f32(m.labels),
    nTrain: m.n_train, upload: m.upload, features: m.features, classes: m.classes,
    inputs: f32(m.inputs),
  };
  settings = { ...m.settings };
  frame = null;
  lossHistory = [];
  setPlaying(false);
  $("message").hidden = true;
  showControls();
  writeUrl();
  $("code").textContent = m.code;
  showLegend(m);
  const canvas = $("network");
  canvas.height = Math.max(300, Math.max(...m.sizes) * 48 + 20);
  nodes = layout(m.sizes, canvas.width, canvas.height);
  layerControls();
  drawFeatureThumbs();
  scheduleDraw();
}

// Binary and regression: the orange..blue scale; 3 or more classes: one swatch per class.
function showLegend(m) {
  const legend = $("legend");
  const swatch = (rgb) => Object.assign(document.createElement("span"), {
    className: "swatch", style: `background: rgb(${rgb.join(",")})` });
  const text = (t) => Object.assign(document.createElement("span"), { textContent: t });
  if (net.k > 2) {
    legend.replaceChildren(...m.classes.flatMap((name, c) => [
      swatch(CLASS_COLOURS[c % CLASS_COLOURS.length]), text(name)]));
    return;
  }
  const [low, high] = net.problem === "regression" ? ["-1", "+1"] : [m.classes[0] ?? "0", m.classes[1] ?? "1"];
  const bar = Object.assign(document.createElement("span"), { className: "bar" });
  legend.replaceChildren(swatch(CLASS_COLOURS[0]), text(low), bar, text(high), swatch(CLASS_COLOURS[1]));
}

function onFrame(m) {
  if (!net || m.version !== net.version) return; // a frame of a network that is gone
  const weights = f32(m.weights);
  const layers = [];
  let at = 0;
  for (let c = 0; c + 1 < net.sizes.length; c++) {
    const n = net.sizes[c] * net.sizes[c + 1];
    layers.push({ W: weights.subarray(at, at + n), b: weights.subarray(at + n, at + n + net.sizes[c + 1]) });
    at += n + net.sizes[c + 1];
  }
  frame = { ...m, boundary: f32(m.boundary), neurons: f32(m.neurons), layers };
  $("epoch").textContent = String(m.epoch);
  // The code panel trains exactly this network: as many epochs as the page has run.
  const code = $("code").textContent;
  const counted = code.replace(/^epochs = \d+/m, `epochs = ${m.epoch}`);
  if (counted !== code) $("code").textContent = counted;
  $("train-loss").textContent = m.train_loss === null ? "NaN" : m.train_loss.toFixed(3);
  $("test-loss").textContent = m.test_loss === null ? "NaN" : m.test_loss.toFixed(3);
  if (lossHistory.length && lossHistory[lossHistory.length - 1].epoch >= m.epoch) {
    lossHistory = lossHistory.filter((h) => h.epoch < m.epoch);
  }
  lossHistory.push({ epoch: m.epoch, train: m.train_loss, test: m.test_loss });
  if (lossHistory.length > 2000) lossHistory = lossHistory.filter((_, i) => i % 2 === 0);
  if (m.doctor) showDoctor(m.doctor);
  scheduleDraw();
}

function showDoctor(findings) {
  $("doctor").hidden = false;
  const list = $("doctor-findings");
  list.replaceChildren(...findings.map((text) => {
    const li = document.createElement("li");
    li.textContent = text;
    return li;
  }));
  if (!findings.length) list.replaceChildren(Object.assign(document.createElement("li"), { textContent: "nothing wrong so far" }));
}

function saveModel(m) {
  const bin = atob(m.data);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = m.name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function onMessage(event) {
  const m = JSON.parse(event.data);
  if (m.type === "network") {
    if (!overtaken(m)) onNetwork(m);
  }
  else if (m.type === "frame") onFrame(m);
  else if (m.type === "state") setPlaying(m.playing);
  else if (m.type === "model") saveModel(m);
  else if (m.type === "error") {
    if (m.settings && !overtaken(m)) {
      settings = { ...m.settings };
      showControls();
      writeUrl();
    }
    showMessage(m.message);
  }
}

// --- drawing -----------------------------------------------------------------------------------

function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    draw();
  });
}

function draw() {
  if (!net) return;
  const g = net.grid * net.grid;
  const maps = [];
  // Inputs: each feature scaled by its largest magnitude over the plane.
  maps.push(net.sizes.length ? Array.from({ length: net.sizes[0] }, (_, i) => {
    const values = net.inputs.subarray(i * g, (i + 1) * g);
    let top = 1e-9;
    for (const v of values) top = Math.max(top, Math.abs(v));
    return heatmap(values.map((v) => v / top), net.grid);
  }) : []);
  let image = null;
  if (frame) {
    let offset = 0;
    for (let c = 1; c + 1 < net.sizes.length; c++) {
      const column = [];
      for (let i = 0; i < net.sizes[c]; i++, offset += g) column.push(heatmap(frame.neurons, net.grid, offset));
      maps.push(column);
    }
    image = outputImage(net, frame.boundary, view.discretize);
    const out = net.sizes[net.sizes.length - 1];
    maps.push(out === 1 ? [image] : Array.from({ length: out }, (_, c) => classHeat(
      frame.boundary, c * g, net.grid, CLASS_COLOURS[c % CLASS_COLOURS.length])));
  }
  nodeMaps = maps;
  drawNetwork($("network"), nodes, frame ? frame.layers.map((l) => l.W) : [], maps);
  drawBoundary($("boundary"), net, image, view.show_test);
  drawLossChart($("loss-chart"), lossHistory);
}

// --- start -------------------------------------------------------------------------------------

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws`);
  socket.addEventListener("open", () => send({ type: "config", settings }));
  socket.addEventListener("message", onMessage);
  socket.addEventListener("close", () => {
    setPlaying(false);
    showMessage("The connection to the playground server was lost: start 'scratchnn playground' again and reload this page.");
  });
}

settings = readUrl();
buildFeatureList();
wireControls();
showControls();
window.addEventListener("resize", layerControls);
window.playground = {
  get settings() { return settings; },
  get net() { return net; },
  get frame() { return frame; },
  get playing() { return playing; },
  get nodes() { return nodes; },
};
connect();
