// The playground page: controls, the URL (which holds every setting and the seed), the
// WebSocket to this tab's training session, and what to draw when a frame arrives.
//
// The settings are not written here: the server describes each one (name, kind, allowed values
// or range, default, label) in /settings.json, and the page builds its controls and reads and
// writes its links from that description.
import {
  drawBoundary, f32, heatmap, outputImage,
} from "./draw.js";
import { NetworkView, floatMapsAsBytes, splitWeights } from "./network.js";
import { outputFrame, outputMessage, outputNetwork, outputState, setupOutput } from "./output.js";

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
let socket = null;
let drawPending = false;
let network = null; // the network's drawing (network.js)
let sent = 0; // messages are numbered; the server's answers carry the number they answer
let newestLayoutRequest = 0; // the newest message that asks for a new layout

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
  history.replaceState(null, "", `?${params.toString()}`);
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
  network = new NetworkView({
    canvas: $("network"), zoom: $("neuron-zoom"), editor: $("weight-editor"),
    input: $("weight-value"), controls: $("layer-controls"),
  }, (edit) => send({ type: "set_weight", ...edit }));
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
    inputs: f32(m.inputs), thumbs: f32(m.thumbs), thumbSize: m.thumb_size,
  };
  settings = { ...m.settings };
  frame = null;
  setPlaying(false);
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

function onFrame(m) {
  if (!net || m.version !== net.version) return; // a frame of a network that is gone
  const layers = splitWeights(net.sizes, f32(m.weights));
  frame = { ...m, boundary: f32(m.boundary), neurons: f32(m.neurons), layers };
  frame.bytes = floatMapsAsBytes(net, frame.boundary, frame.neurons);
  network.setFrame({ layers, ...frame.bytes, arithmetic: m.arithmetic ?? null });
  $("epoch").textContent = String(m.epoch);
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
  const m = JSON.parse(event.data);
  outputMessage(m);
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
  network.discretize = view.discretize;
  network.draw();
  const image = frame ? outputImage(net, frame.bytes.boundary, view.discretize) : null;
  drawBoundary($("boundary"), net, image, view.show_test);
}

// --- start -------------------------------------------------------------------------------------

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws`);
  socket.addEventListener("open", () => send({ type: "config", settings }));
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
  settings = readUrl();
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
  get diverged() { return outputState.diverged; },
  get pinned() { return outputState.pinned; },
};
start().catch((error) => showMessage(`The page could not start: ${error.message}. Reload it.`));
