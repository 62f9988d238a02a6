// The playground page's hub: controls, the URL (which holds every setting and the seed), the
// WebSocket to this tab's training session, and what to draw when a frame arrives.
//
// The settings are not written here: the server describes each one (name, kind, allowed values
// or range, default, label) in /settings.json, and the page builds its controls and reads and
// writes its links from that description.
import {
  drawBoundary, f32, heatmap, outputImage,
} from "./draw.js";
import { NetworkView, splitWeights } from "./network.js";
import { outputFrame, outputMessage, outputNetwork, outputState, setupOutput } from "./output.js";
import { decodeFrame } from "./frames.js";

const $ = (id) => document.getElementById(id);
const element = (tag, properties = {}) => Object.assign(document.createElement(tag), properties);

let SCHEMA = []; // the settings, in the server's order
let BY_NAME = {}; // the same, by name
let DEFAULTS = {}; // every setting's default
let uploadBytes = 0; // the largest upload the server takes

let settings = {};
const view = { show_test: false, discretize: false };
let net = null; // the layout from the last "network" message, decoded
let frame = null; // the newest frame, decoded
let playing = false;
let diverged = null; // why training stopped (the newest frame's or state's word), or null
let notices = []; // what the server changed in the link it was given
let selected = null; // the inspected point (an index into net.points), or null
let arithmetic = null; // the selected point's arithmetic, from the newest frame
let speed = null; // the server's epochs per second (null: as fast as it goes)
let socket = null;
let drawPending = false;
let network = null; // the network's drawing (network.js)
let frameUndrawn = false; // a frame arrived that no draw has shown yet
let framesDrawn = 0;
const drawTimes = []; // performance.now() of the frames drawn in the last 2 s
let sent = 0; // messages are numbered; the server's answers carry the number they answer
let newestLayoutRequest = 0; // the newest message that asks for a new layout
let newestSpeedRequest = 0; // the newest speed asked for
let linkRequest = 0; // the first message: the link, for the server to read
let fallbacks = 0; // settings sent again after an error, before any network

async function loadSchema() {
  const response = await fetch("/settings.json");
  if (!response.ok) throw new Error(`settings.json: ${response.status}`);
  const body = await response.json();
  SCHEMA = body.settings;
  BY_NAME = Object.fromEntries(SCHEMA.map((s) => [s.name, s]));
  DEFAULTS = Object.fromEntries(SCHEMA.map((s) => [s.name, s.default]));
  uploadBytes = body.upload_bytes;
}

// --- the URL ---------------------------------------------------------------------------------

// A setting's value from its text in a link, and back: lists are comma-separated.
function fromText(setting, text) {
  if (setting.kind === "features") return text ? text.split(",") : [];
  if (setting.kind === "layers") return text ? text.split(",").map(Number) : [];
  if (setting.kind === "number" || setting.kind === "integer") return Number(text);
  return text;
}

const toText = (value) => (Array.isArray(value) ? value.join(",") : String(value));

// The server reads a link's settings (and says what it changed); the page reads only its own
// view options from it, and the settings as a fallback for a server that reads no links.
function readUrl() {
  const params = new URLSearchParams(location.search);
  const out = structuredClone(DEFAULTS);
  for (const [key, value] of params) {
    if (key in BY_NAME) out[key] = fromText(BY_NAME[key], value);
    else if (key in view) view[key] = value === "1";
  }
  return out;
}

function writeUrl() {
  const params = new URLSearchParams();
  for (const setting of SCHEMA) params.set(setting.name, toText(settings[setting.name]));
  for (const [key, value] of Object.entries(view)) params.set(key, value ? "1" : "0");
  // Commas stay commas (hidden=4,2 as people write it); a query reads them either way.
  history.replaceState(null, "", `?${params.toString().replaceAll("%2C", ",")}`);
}

// --- controls, built from the schema ------------------------------------------------------------

function buildControls() {
  for (const setting of SCHEMA) {
    const place = $(`settings-${setting.place}`);
    if (setting.control === "select") place.append(selectField(setting));
    else if (setting.control === "slider") place.append(sliderField(setting));
    else if (setting.control === "checkboxes") place.append(...checkboxes(setting));
  }
}

function labelFor(setting) {
  return element("label", { htmlFor: setting.name, textContent: setting.label });
}

function selectField(setting) {
  const select = element("select", { id: setting.name });
  if (setting.live) select.dataset.live = "";
  select.addEventListener("change", () => {
    const value = fromText(setting, select.value);
    if (setting.name === "problem") {
      // a new problem type starts on its first data set
      const first = BY_NAME.dataset.choices.find((c) => c.problem === value);
      change({ problem: value, dataset: first.value });
    } else {
      change({ [setting.name]: value });
    }
  });
  const field = element("div", { className: "field" });
  field.append(labelFor(setting), select);
  return field;
}

// The choices offered now: a data set only with its problem type, an upload once there is one,
// and a number a link holds that is not among the presets.
function fillSelect(setting) {
  const value = String(settings[setting.name]);
  const select = $(setting.name);
  const choices = setting.choices.filter((c) => !c.problem || c.problem === settings.problem);
  select.replaceChildren(...choices.map((c) => new Option(c.label, String(c.value))));
  if (setting.name === "dataset" && net && net.upload) {
    select.add(new Option(`Your CSV: ${net.upload}`, "upload"));
  }
  const numeric = setting.kind === "number" || setting.kind === "integer";
  if (numeric && !choices.some((c) => String(c.value) === value)) select.add(new Option(value));
  select.value = value;
}

// A slider shows a value in the setting's units, or in per cent.
const sliderScale = (setting) => (setting.percent ? 100 : 1);
const shown = (setting, value) => (setting.percent ? `${Math.round(value * 100)}%` : String(value));

function sliderField(setting) {
  const k = sliderScale(setting);
  const [min, max, step] = setting.slider.map((v) => Math.round(v * k * 1e6) / 1e6);
  const input = element("input", { id: setting.name, type: "range", min, max, step });
  if (setting.live) input.dataset.live = "";
  const output = element("output", { id: `${setting.name}-value` });
  output.setAttribute("for", setting.name);
  input.addEventListener("input", () => { output.textContent = shown(setting, input.value / k); });
  input.addEventListener("change", () => change({ [setting.name]: Number(input.value) / k }));
  const head = element("div");
  head.append(labelFor(setting), ": ", output);
  const field = element("div", { className: "field" });
  field.append(head, input);
  return field;
}

function showSlider(setting) {
  const value = settings[setting.name];
  $(setting.name).value = String(Math.round(value * sliderScale(setting) * 1e6) / 1e6);
  $(`${setting.name}-value`).textContent = shown(setting, value);
}

function checkboxes(setting) {
  const names = setting.choices.map((c) => c.value);
  return setting.choices.map((choice) => {
    const box = element("input", { type: "checkbox", id: `f-${choice.value}` });
    box.addEventListener("change", () => {
      const chosen = names.filter((name) => $(`f-${name}`).checked);
      if (chosen.length === 0) {
        box.checked = true;
        showMessage("keep at least one feature: the network needs an input");
        return;
      }
      change({ [setting.name]: chosen });
    });
    const thumb = element("canvas", { id: `thumb-${choice.value}`, width: 20, height: 20 });
    thumb.setAttribute("aria-hidden", "true");
    const label = element("label", { className: "feature" });
    label.append(box, element("span", { textContent: choice.label }), thumb);
    return label;
  });
}

function showControls() {
  for (const setting of SCHEMA) {
    if (setting.control === "select") fillSelect(setting);
    else if (setting.control === "slider") showSlider(setting);
    else if (setting.control === "checkboxes") {
      for (const c of setting.choices) $(`f-${c.value}`).checked = settings[setting.name].includes(c.value);
    }
  }
  const layers = BY_NAME.hidden;
  $("n-layers").textContent = String(settings.hidden.length);
  $("add-layer").disabled = settings.hidden.length >= layers.max_items;
  $("remove-layer").disabled = settings.hidden.length === 0;
  $("show_test").checked = view.show_test;
  $("discretize").checked = view.discretize;
}

function change(update) {
  settings = { ...settings, ...update };
  writeUrl();
  send({ type: "config", settings });
}

// Every feature over the plane (computed by the server): its checkbox's thumbnail.
function drawFeatureThumbs() {
  if (!net) return;
  const n = net.thumbSize;
  BY_NAME.features.choices.forEach((choice, i) => {
    const values = net.thumbs.subarray(i * n * n, (i + 1) * n * n);
    let top = 1e-9;
    for (const v of values) top = Math.max(top, Math.abs(v));
    const image = heatmap(values.map((v) => v / top), n);
    $(`thumb-${choice.value}`).getContext("2d").drawImage(image, 0, 0);
  });
}

function layerControls() {
  if (net) network.layerControls(settings.hidden, BY_NAME.hidden, (hidden) => change({ hidden }));
}

function wireControls() {
  const layers = BY_NAME.hidden;
  $("regenerate").addEventListener("click", () => {
    change({ seed: crypto.getRandomValues(new Uint32Array(1))[0] % BY_NAME.seed.high });
  });
  $("add-layer").addEventListener("click", () => {
    if (settings.hidden.length < layers.max_items) change({ hidden: [...settings.hidden, layers.new_item] });
  });
  $("remove-layer").addEventListener("click", () => {
    if (settings.hidden.length > 0) change({ hidden: settings.hidden.slice(0, -1) });
  });
  $("play").addEventListener("click", togglePlay);
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
    togglePlay();
  });
  network = new NetworkView({
    canvas: $("network"), zoom: $("neuron-zoom"), editor: $("weight-editor"),
    input: $("weight-value"), controls: $("layer-controls"),
  }, (edit) => send({ type: "set_weight", ...edit }));
  wireTime();
  $("boundary").addEventListener("click", inspectAt);
}

function togglePlay() {
  if (diverged && !playing) return; // the button is disabled too: nothing trains from NaN
  send({ type: playing ? "pause" : "play" });
}

// --- time: the speed of training and the epoch history -----------------------------------------

// The speeds offered, in epochs per second; null: as fast as the machine goes.
const SPEEDS = [1, 2, 5, 10, 30, null];
const speedText = (v) => (v === null ? "max" : `${v} epoch${v === 1 ? "" : "s"}/s`);
let scrubbing = false; // the user holds the epoch history slider: frames leave it alone

function wireTime() {
  const slider = $("speed");
  slider.max = String(SPEEDS.length - 1);
  const show = () => {
    const text = speedText(SPEEDS[Number(slider.value)]);
    $("speed-value").textContent = text;
    slider.setAttribute("aria-valuetext", text);
  };
  slider.addEventListener("input", show);
  slider.addEventListener("change", () => {
    show();
    send({ type: "speed", epochs_per_second: SPEEDS[Number(slider.value)] });
  });
  showSpeed(speed);

  const history = $("epoch-history");
  const chosen = () => (frame && frame.snapshots ? frame.snapshots[Number(history.value)] : undefined);
  const showChosen = () => {
    const epoch = chosen();
    const text = epoch === undefined ? "none yet" : `epoch ${epoch}`;
    $("epoch-history-value").textContent = text;
    history.setAttribute("aria-valuetext", text);
  };
  history.addEventListener("pointerdown", () => { scrubbing = true; });
  // a press that moves nothing fires no change: its release ends the scrubbing all the same
  for (const end of ["pointerup", "pointercancel"]) window.addEventListener(end, () => { scrubbing = false; });
  history.addEventListener("input", showChosen);
  history.addEventListener("change", () => {
    scrubbing = false;
    showChosen();
    const epoch = chosen();
    if (epoch !== undefined) send({ type: "rewind", epoch });
  });
  history.addEventListener("blur", () => { scrubbing = false; });
}

function showSpeed(value) {
  const i = SPEEDS.indexOf(value);
  const slider = $("speed");
  if (i >= 0) slider.value = String(i);
  const text = i >= 0 ? speedText(value) : `${value} epochs/s`;
  $("speed-value").textContent = text;
  slider.setAttribute("aria-valuetext", text);
}

// The epoch history slider's steps are the snapshots the server keeps; it rests on the newest
// one at or before the epoch shown.
function showSnapshots(snapshots, epoch) {
  const slider = $("epoch-history");
  slider.disabled = snapshots.length === 0;
  if (scrubbing) return;
  slider.max = String(Math.max(0, snapshots.length - 1));
  let at = 0;
  snapshots.forEach((e, i) => { if (e <= epoch) at = i; });
  slider.value = String(at);
  const text = snapshots.length ? `epoch ${snapshots[at]}` : "none yet";
  $("epoch-history-value").textContent = text;
  slider.setAttribute("aria-valuetext", text);
}

async function upload(e) {
  const file = e.target.files[0];
  e.target.value = "";
  if (!file) return;
  if (file.size > uploadBytes) {
    const mb = uploadBytes / 2 ** 20;
    showMessage(`${file.name} is larger than ${mb} MB; upload at most ${mb} MB`);
    return;
  }
  send({ type: "upload", name: file.name, text: await file.text(), problem: settings.problem });
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
  if (SETS_SETTINGS.includes(message.type)) newestLayoutRequest = sent;
  if (message.type === "speed") newestSpeedRequest = sent;
  socket.send(JSON.stringify({ ...message, id: sent }));
}

// The messages whose answers set the page's settings (a network, or live settings).
const SETS_SETTINGS = ["config", "upload", "reset", "compare", "rewind"];

// An answer to an older request than the newest one for a layout is already overtaken: its
// settings must not overwrite what the user changed since (the newer answer follows).
const overtaken = (m) => newestLayoutRequest > 0 && m.id !== newestLayoutRequest;

function setPlaying(value) {
  playing = value;
  const b = $("play");
  b.setAttribute("aria-label", value ? "Pause" : "Play");
  b.querySelector("path").setAttribute("d", value ? "M6 5h4v14H6zM14 5h4v14h-4z" : "M8 5v14l11-7z");
  showButtons();
}

// Nothing trains from a diverged network: Play and Step wait for Reset, a lower learning rate
// or a rewind (Pause stays, should a frame say so while it plays).
function setDiverged(value) {
  diverged = value || null;
  showButtons();
}

function showButtons() {
  $("play").disabled = Boolean(diverged) && !playing;
  $("step").disabled = Boolean(diverged);
}

// What the server changed in the link it was given: one line each.
function showNotices(list) {
  notices = [...list];
  $("notices").replaceChildren(...notices.map((text) => element("p", { textContent: text })));
}

function onNetwork(m) {
  const k = m.settings.problem === "regression" ? 1 : Math.max(2, m.classes.length);
  net = {
    version: m.version, sizes: m.sizes, grid: m.grid, domain: m.domain, k,
    problem: m.settings.problem, points: f32(m.points), labels: f32(m.labels),
    nTrain: m.n_train, upload: m.upload, features: m.features, classes: m.classes,
    inputs: f32(m.inputs), thumbs: f32(m.thumbs), thumbSize: m.thumb_size,
  };
  settings = { ...m.settings };
  frame = null;
  selected = null;
  showArithmetic(null);
  setPlaying(false);
  setDiverged(null);
  if (m.notices) showNotices(m.notices);
  $("message").hidden = true;
  showControls();
  writeUrl();
  $("code").textContent = m.code;
  outputNetwork(m, net);
  network.setNetwork(net);
  layerControls();
  drawFeatureThumbs();
  scheduleDraw();
}

// Live settings changed on the running network: the weights, the epoch and the loss curve
// stay (the frames mark the change on the chart); the controls and the code follow.
function onSettings(m) {
  settings = { ...m.settings };
  showControls();
  writeUrl();
  if (m.code !== undefined) $("code").textContent = m.code;
  scheduleDraw();
}

function onState(m) {
  setPlaying(m.playing);
  if ("diverged" in m) setDiverged(m.diverged);
  // The answer to an older speed than the newest asked for must not move the slider back
  // under the user's hand (the newer answer follows).
  if ("speed" in m && !(typeof m.id === "number" && m.id < newestSpeedRequest)) {
    speed = m.speed;
    showSpeed(speed);
  }
}

function onFrame(m) {
  if (!net || m.version !== net.version) return; // a frame of a network that is gone
  const layers = splitWeights(net.sizes, m.weights);
  frame = { ...m, layers };
  network.setFrame({ layers, boundary: m.boundary, neurons: m.neurons, arithmetic: m.arithmetic ?? null });
  frameUndrawn = true;
  $("epoch").textContent = String(m.epoch);
  if ("playing" in m && m.playing !== playing) setPlaying(m.playing);
  setDiverged(m.diverged);
  showSnapshots(m.snapshots || [], m.epoch);
  if (m.arithmetic) selected = m.arithmetic.point;
  showArithmetic(m.arithmetic || null);
  // The code panel trains exactly this network: as many epochs as the page has run.
  const code = $("code").textContent;
  const counted = code.replace(/^epochs = \d+/m, `epochs = ${m.epoch}`);
  if (counted !== code) $("code").textContent = counted;
  outputFrame(m);
  scheduleDraw();
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
  if (event.data instanceof ArrayBuffer) {
    onFrame(decodeFrame(event.data));
    return;
  }
  const m = JSON.parse(event.data);
  outputMessage(m);
  if (m.type === "network") {
    // An overtaken answer still brings the network the server now trains (a newer request
    // may answer with live settings only, or nothing new): take it, and keep showing the
    // settings the user chose since. The session's first network (no id) is not an answer:
    // the link's answer brings the one to show.
    const newer = overtaken(m) ? settings : null;
    if (newer && m.id === undefined) return;
    onNetwork(m);
    if (newer) {
      settings = newer;
      showControls();
      writeUrl();
      layerControls();
    }
  }
  else if (m.type === "settings") {
    if (!overtaken(m)) onSettings(m);
  }
  else if (m.type === "state") onState(m);
  else if (m.type === "code") $("code").textContent = m.code; // a weight edited: the code says so
  else if (m.type === "model") saveModel(m);
  else if (m.type === "error") onError(m);
}

function onError(m) {
  if (!net && m.id === linkRequest && fallbacks++ === 0) {
    // A server that reads no links: the page reads the settings from the link itself.
    send({ type: "config", settings: readUrl() });
    return;
  }
  if (m.settings && !overtaken(m)) {
    settings = { ...m.settings };
    showControls();
    writeUrl();
    // a page with no network yet takes the session's own network (its settings) rather than
    // none: a reset sends it (a config of the settings in force changes nothing)
    if (!net && fallbacks++ < 2) send({ type: "reset" });
  }
  showMessage(m.message);
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

// Frames drawn per second over the last 2 s, as the page measures it.
function countFrameDrawn() {
  const now = performance.now();
  framesDrawn += 1;
  drawTimes.push(now);
  while (drawTimes.length && drawTimes[0] < now - 2000) drawTimes.shift();
}

function draw() {
  if (!net) return;
  if (frameUndrawn) {
    frameUndrawn = false;
    countFrameDrawn();
  }
  network.discretize = view.discretize;
  network.draw();
  const image = frame ? outputImage(net, frame.boundary, view.discretize) : null;
  drawBoundary($("boundary"), net, image, view.show_test);
  ringSelected();
}

// --- step arithmetic: a point of #boundary, and its way through the network -------------------

// Where point i sits on #boundary, in the canvas's own pixels (as drawBoundary puts it).
function pointOnBoundary(i) {
  const canvas = $("boundary");
  const [x0, x1, y0, y1] = net.domain;
  return [((net.points[2 * i] - x0) / (x1 - x0)) * canvas.width,
    ((y1 - net.points[2 * i + 1]) / (y1 - y0)) * canvas.height];
}

// A click on #boundary inspects the nearest point shown within 10 CSS pixels, or clears.
function inspectAt(event) {
  if (!net) return;
  const canvas = $("boundary");
  const rect = canvas.getBoundingClientRect();
  const toCss = rect.width / canvas.width;
  const x = event.clientX - rect.left;
  const y = event.clientY - rect.top;
  const shownPoints = view.show_test ? net.labels.length : net.nTrain;
  let best = null;
  let bestDistance = 10;
  for (let i = 0; i < shownPoints; i++) {
    const [px, py] = pointOnBoundary(i);
    const d = Math.hypot(px * toCss - x, py * toCss - y);
    if (d <= bestDistance) [best, bestDistance] = [i, d];
  }
  selected = best;
  if (best === null) showArithmetic(null);
  send({ type: "inspect", point: best });
  scheduleDraw();
}

function ringSelected() {
  if (selected === null) return;
  const ctx = $("boundary").getContext("2d");
  const [px, py] = pointOnBoundary(selected);
  for (const [colour, width] of [["#fff", 4], ["#000", 2]]) {
    ctx.beginPath();
    ctx.arc(px, py, 7, 0, 2 * Math.PI);
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.stroke();
  }
}

// A number with three decimals, or in scientific notation when that would show only zeros
// (a gradient of 0.00002 is not 0).
function fixed(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "NaN";
  if (v === 0) return "0";
  const size = Math.abs(v);
  return size >= 0.001 && size < 1e5 ? v.toFixed(3) : v.toExponential(2);
}
const vector = (values) => `[${values.map(fixed).join(", ")}]`;

// The selected point's forward pass (inputs, every layer's z = a·W + b and a), its loss, and
// its gradient: the numbers the server computed with the network's own layers.
function showArithmetic(a) {
  arithmetic = a;
  const panel = $("arithmetic");
  panel.hidden = !a;
  if (!a) return;
  const lines = [];
  const add = (label, text) => lines.push([label, text]);
  add("Point", `#${a.point} at (${fixed(a.x[0])}, ${fixed(a.x[1])}), ${net.problem === "regression"
    ? "target" : "class"} ${typeof a.target === "number" ? Number(a.target.toFixed(3)) : a.target}`);
  add("Inputs", a.features.map((name, i) => `${name} = ${fixed(a.inputs[i])}`).join(", "));
  a.layers.forEach((layer, c) => {
    const last = c === a.layers.length - 1;
    const name = last ? "Output" : `Layer ${c + 1}`;
    add(`${name}: z = a·W + b`, vector(layer.z));
    add(`${name}: a = ${last ? outputFunction() : settings.activation}(z)`, vector(layer.a));
  });
  add("Loss", fixed(a.loss));
  (a.grads || []).forEach((g, c) => {
    const name = c === a.layers.length - 1 ? "Output" : `Layer ${c + 1}`;
    add(`${name}: ∂L/∂W`, g.W.map(vector).join("\n"));
    add(`${name}: ∂L/∂b`, vector(g.b));
  });
  $("arithmetic-list").replaceChildren(...lines.flatMap(([label, text]) => [
    element("dt", { textContent: label }), element("dd", { textContent: text })]));
}

function outputFunction() {
  if (net.problem === "regression") return "identity";
  return net.k > 2 ? "softmax" : "sigmoid";
}

// --- start -------------------------------------------------------------------------------------

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws`);
  socket.binaryType = "arraybuffer"; // frames come as bytes (frames.js); the rest as JSON text
  socket.addEventListener("open", () => {
    // The server reads the link: it answers with the network and what it had to change.
    send({ type: "config", link: location.search });
    linkRequest = sent;
  });
  socket.addEventListener("message", onMessage);
  socket.addEventListener("close", (event) => {
    setPlaying(false);
    // The server says why when it closes on purpose (too many tabs, too many messages).
    showMessage(event.reason ? `The playground closed this tab's session: ${event.reason}.`
      : "The connection to the playground server was lost: start 'scratchnn playground' again and reload this page.");
  });
}

// The page reads the settings' description first: the controls and the link depend on it.
async function start() {
  await loadSchema();
  settings = readUrl(); // what the controls show until the server's answer
  buildControls();
  wireControls();
  setupOutput({ send, change, settings: () => settings, schema: () => SCHEMA });
  showControls();
  connect();
}

window.playground = {
  get schema() { return SCHEMA; },
  get settings() { return settings; },
  get net() { return net; },
  get frame() { return frame; },
  get playing() { return playing; },
  get nodes() { return network.nodes; },
  get network() { return network; },
  get history() { return outputState.history; },
  get diverged() { return diverged; },
  get pinned() { return outputState.pinned; },
  get notices() { return notices; },
  get selected() { return selected; },
  get arithmetic() { return arithmetic; },
  get speed() { return speed; },
  get fps() {
    const since = performance.now() - 2000;
    return drawTimes.filter((t) => t >= since).length / 2;
  },
  get framesDrawn() { return framesDrawn; },
};
start().catch((error) => showMessage(`The page could not start: ${error.message}. Reload it.`));
