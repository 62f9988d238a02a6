// The output column: the losses and scores, the loss chart (axes, log scale, marks, the pinned
// run), the divergence banner, the confusion matrix, the compared run's map and the training
// doctor's advice. Every number shown here comes from the server; this file only lays it out.
//
// The hub (app.js) calls: setupOutput once, outputNetwork on every network message,
// outputFrame on every frame (its JSON header), outputMessage on every other message.
import { CLASS_COLOURS, diverging } from "./draw.js";

const $ = (id) => document.getElementById(id);
const element = (tag, properties = {}) => Object.assign(document.createElement(tag), properties);

const TRAIN_COLOUR = "#0877bd"; // training loss: TF Playground's blue
const TEST_COLOUR = "#333"; // test loss: near black
const MARK_COLOUR = "#8a5a00"; // live changes, weight edits, rewinds (5.6:1 on white)
const MAX_POINTS = 2000; // the chart thins its history beyond this

let hooks = { send: () => {}, change: () => {}, settings: () => ({}), schema: () => [] };
let problem = "classification";
let classes = [];
let k = 2; // output maps: 1 for binary and regression, k classes for multiclass
let grid = 0;
let history = []; // [{epoch, train, test}]
let marks = []; // [{epoch, text}]
let pinned = null; // the compared run (see the plan's "compare" message) or null
let diverged = null;
let divergedWith = null; // the rates in force when training diverged
let doctorShown = ""; // the findings now in the list, as JSON: rebuilt only when they change
let chartPending = false;

// --- numbers as text ---------------------------------------------------------------------------

// A loss: 3 decimals, or 3 significant digits when large or tiny; "diverged" for null after a
// divergence (the server sends null for a loss that is not a finite number).
export function formatLoss(value, isDiverged = false) {
  if (value === null || value === undefined) return isDiverged ? "diverged" : "\u2013";
  if (value !== 0 && (Math.abs(value) >= 1000 || Math.abs(value) < 0.001)) {
    return value.toExponential(2);
  }
  return value.toFixed(3);
}

// A score: accuracy in per cent, R² as a plain number ("–" when the server has none).
export function formatScore(value, name) {
  if (value === null || value === undefined) return "\u2013";
  if (name === "accuracy") return `${(value * 100).toFixed(1)}%`;
  return Math.abs(value) >= 1000 ? value.toExponential(2) : value.toFixed(3);
}

const scoreName = (m) => m.score_name || (problem === "regression" ? "R²" : "accuracy");

// --- the loss chart's logic (pure: the browser tests call these) -------------------------------

// About `count` round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten.
export function niceTicks(lo, hi, count = 5) {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const ticks = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Number(v.toPrecision(12)));
  }
  return ticks;
}

// Ticks of a log axis over [lo, hi] (both > 0): powers of ten inside it (every one up to five
// decades, then every second, third...: at most about five), with 2 and 5 times them when it
// spans fewer than three decades, or its two ends when no power of ten is inside.
export function logTicks(lo, hi) {
  const first = Math.floor(Math.log10(lo));
  const last = Math.ceil(Math.log10(hi));
  const steps = last - first <= 2 ? [1, 2, 5] : [1];
  const every = Math.max(1, Math.ceil((last - first) / 5));
  const ticks = [];
  for (let e = Math.ceil(first / every) * every; e <= last; e += every) {
    for (const m of steps) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push(v);
    }
  }
  return ticks.length >= 2 ? ticks : [lo, hi];
}

// A tick's text: short ("0.01", "2.5", "1e-4", "3e+5").
export function tickText(v) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0).replace("e+", "e");
  return String(Number(v.toPrecision(3)));
}

// The runs of consecutive finite values of `key` in `points`: a null (or a value a log axis
// cannot show) ends a run, so the chart draws no line through it.
export function segments(points, key, log = false) {
  const runs = [];
  let run = [];
  for (const p of points) {
    const v = p[key];
    if (v === null || v === undefined || !Number.isFinite(v) || (log && v <= 0)) {
      if (run.length) runs.push(run);
      run = [];
    } else {
      run.push([p.epoch, v]);
    }
  }
  if (run.length) runs.push(run);
  return runs;
}

// The axes' ranges over this run and the pinned one: epochs from 0 to the last, losses from 0
// (log: the smallest positive loss) to the largest, each a little padded.
export function chartRange(series, log = false) {
  let last = 1;
  let lo = Infinity;
  let hi = 0;
  for (const points of series) {
    for (const p of points) {
      last = Math.max(last, p.epoch);
      for (const key of ["train", "test"]) {
        const v = p[key];
        if (v === null || v === undefined || !Number.isFinite(v) || (log && v <= 0)) continue;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  if (!(hi > 0)) return { last, lo: log ? 0.01 : 0, hi: 1 };
  if (log) {
    if (!(hi > lo)) return { last, lo: lo / 2, hi: hi * 2 };
    return { last, lo, hi };
  }
  return { last, lo: 0, hi: hi * 1.05 };
}

const curveOf = (rows) => (rows || []).map(([epoch, train, test]) => ({ epoch, train, test }));

// The whole chart, drawn on `canvas` (its backing store sized to its CSS box): axes with tick
// labels, the marks, the pinned run dashed, this run solid; a line breaks where a loss is null.
// Returns what it drew (the axes' ticks and ranges) for tests and the chart's description.
export function drawLossChart(canvas, { history: points, pinned: other = null, marks: notes = [],
  log = false }) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || canvas.width;
  const height = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const pinnedPoints = other ? curveOf(other.curve) : [];
  const range = chartRange([points, pinnedPoints], log);
  const box = { left: 40, right: width - 8, top: 16, bottom: height - 26 };
  const yTicks = log ? logTicks(range.lo, range.hi) : niceTicks(range.lo, range.hi, 4);
  const top = Math.max(range.hi, yTicks[yTicks.length - 1]);
  const bottom = log ? Math.min(range.lo, yTicks[0]) : 0;
  const xTicks = niceTicks(0, range.last, Math.max(2, Math.floor((box.right - box.left) / 55)))
    .filter((t) => t <= range.last && Number.isInteger(t));
  const x = (epoch) => box.left + (epoch / range.last) * (box.right - box.left);
  const y = (v) => {
    const t = log ? (Math.log10(v) - Math.log10(bottom)) / (Math.log10(top) - Math.log10(bottom))
      : (v - bottom) / (top - bottom);
    return box.bottom - t * (box.bottom - box.top);
  };
  drawAxes(ctx, box, xTicks.map((t) => [x(t), tickText(t)]), yTicks.map((t) => [y(t), tickText(t)]));
  drawMarks(ctx, box, notes.filter((m) => m.epoch <= range.last).map((m) => [x(m.epoch), m.text]));
  const series = [[pinnedPoints, [4, 3]], [points, []]];
  for (const [data, dash] of series) {
    for (const [key, colour] of [["train", TRAIN_COLOUR], ["test", TEST_COLOUR]]) {
      ctx.setLineDash(dash);
      ctx.strokeStyle = colour;
      ctx.lineWidth = 1.5;
      for (const run of segments(data, key, log)) {
        ctx.beginPath();
        run.forEach(([epoch, v], i) => {
          const px = x(epoch);
          const py = Math.max(box.top, Math.min(box.bottom, y(v)));
          if (i === 0) ctx.moveTo(px, py);
          else ctx.lineTo(px, py);
        });
        if (run.length === 1) ctx.lineTo(x(run[0][0]) + 1, y(run[0][1])); // a lone point: a dot
        ctx.stroke();
      }
    }
  }
  ctx.setLineDash([]);
  return { xTicks, yTicks, log, last: range.last, box, top, bottom };
}

function drawAxes(ctx, box, xTicks, yTicks) {
  ctx.strokeStyle = "#ccc";
  ctx.lineWidth = 1;
  ctx.fillStyle = "#555";
  ctx.font = "10px sans-serif";
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const [py, text] of yTicks) {
    ctx.beginPath();
    ctx.moveTo(box.left, Math.round(py) + 0.5);
    ctx.lineTo(box.right, Math.round(py) + 0.5);
    ctx.stroke();
    ctx.fillText(text, box.left - 4, py);
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const [px, text] of xTicks) ctx.fillText(text, px, box.bottom + 3);
  ctx.strokeStyle = "#555";
  ctx.beginPath();
  ctx.moveTo(box.left + 0.5, box.top);
  ctx.lineTo(box.left + 0.5, box.bottom + 0.5);
  ctx.lineTo(box.right, box.bottom + 0.5);
  ctx.stroke();
  ctx.textAlign = "right";
  ctx.textBaseline = "bottom";
  ctx.fillText("epoch", box.right, box.bottom + 26);
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  ctx.fillText("loss", 2, 2);
}

// A mark: a thin vertical line and its short label at the top, the labels of marks close
// together in two rows so they do not cover each other.
function drawMarks(ctx, box, notes) {
  ctx.font = "9px sans-serif";
  ctx.textBaseline = "top";
  let lastRight = -Infinity;
  let row = 0;
  for (const [px, text] of notes) {
    ctx.strokeStyle = MARK_COLOUR;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(Math.round(px) + 0.5, box.top);
    ctx.lineTo(Math.round(px) + 0.5, box.bottom);
    ctx.stroke();
    const label = text.length > 14 ? `${text.slice(0, 13)}\u2026` : text;
    const w = ctx.measureText(label).width;
    const left = Math.min(px + 2, box.right - w);
    row = left < lastRight ? 1 - row : 0;
    lastRight = left + w + 4;
    ctx.fillStyle = MARK_COLOUR;
    ctx.textAlign = "left";
    ctx.fillText(label, left, row === 0 ? 2 : box.top + 2);
  }
}

function scheduleChart() {
  if (chartPending) return;
  chartPending = true;
  requestAnimationFrame(() => {
    chartPending = false;
    drawChart();
  });
}

function drawChart() {
  const canvas = $("loss-chart");
  if (!canvas) return;
  const log = $("log-scale").checked;
  const drawn = drawLossChart(canvas, { history, pinned, marks, log });
  const last = history[history.length - 1];
  canvas.setAttribute("aria-label", `Loss over ${drawn.last} epochs, ${log ? "log" : "linear"} `
    + `scale: training (blue) ${formatLoss(last ? last.train : null, !!diverged)}, test (black) `
    + `${formatLoss(last ? last.test : null, !!diverged)}${pinned ? "; the pinned run dashed" : ""}`);
}

// The chart's legend: which line is which, and which run is which when one is pinned (kept
// up to date on every frame: a live change renames this run).
function showChartLegend() {
  const legend = $("loss-legend");
  const key = pinned ? `${runLabel(hooks.settings(), hooks.schema())}|${pinned.label}` : "";
  if (legend.childElementCount && legend.dataset.runs === key) return;
  legend.dataset.runs = key;
  const item = (className, text) => {
    const span = element("span", { className: "item" });
    span.append(element("span", { className }), element("span", { textContent: text }));
    return span;
  };
  const items = [item("line train", "training"), item("line test", "test")];
  if (pinned) {
    items.push(item("line solid", `this run: ${runLabel(hooks.settings(), hooks.schema())}`),
      item("line dashed", `pinned: ${pinned.label}`));
  }
  legend.replaceChildren(...items);
}

// "SGD, lr 0.03, no regularization": what tells two compared runs apart.
export function runLabel(settings, schema) {
  const choice = (name) => {
    const setting = schema.find((s) => s.name === name);
    const found = setting && setting.choices.find((c) => String(c.value) === String(settings[name]));
    return found ? found.label : String(settings[name]);
  };
  const reg = !settings.regularization || settings.regularization === "none" ? "no regularization"
    : `${settings.regularization} ${settings.reg_rate}`;
  return `${choice("optimizer")}, lr ${settings.lr}, ${reg}`;
}

// --- readouts, banner, confusion matrix, doctor -----------------------------------------------

export function showReadouts(m) {
  const lost = !!(m.diverged || diverged);
  $("train-loss").textContent = formatLoss(m.train_loss, lost);
  $("test-loss").textContent = formatLoss(m.test_loss, lost);
  const name = scoreName(m);
  $("score-caption").textContent = name === "accuracy" ? "Accuracy" : "R\u00b2";
  $("score-caption").title = name === "accuracy" ? "share of points classified right, in per cent"
    : "R\u00b2: 1 is a perfect fit, 0 no better than the mean";
  $("train-accuracy").textContent = formatScore(m.train_score, name);
  $("test-accuracy").textContent = formatScore(m.test_score, name);
}

// The divergence banner, and Play and Step disabled while training has diverged (until Reset,
// a lower learning rate or a rewind: the server then sends diverged = null).
export function showDivergence(text) {
  if (text && !diverged) {
    const { lr, reg_rate: regRate } = hooks.settings();
    divergedWith = { lr, regRate };
  }
  diverged = text || null;
  const banner = $("divergence");
  if (banner.textContent !== (diverged || "")) banner.textContent = diverged || ""; // said once
  banner.hidden = !diverged;
  for (const id of ["play", "step"]) {
    const button = $(id);
    if (button) button.disabled = !!diverged;
  }
}

// rows: the true class, columns: the predicted one (counts on the test split).
export function showConfusion(matrix, names = classes) {
  const table = $("confusion");
  if (!matrix || matrix.length <= 2) {
    table.hidden = true;
    table.replaceChildren();
    return;
  }
  const name = (c) => names[c] ?? String(c);
  const caption = element("caption", { textContent: "Confusion matrix, test data: rows the true "
    + "class, columns the predicted one" });
  const head = element("tr");
  head.append(element("td", { className: "corner", textContent: "true \\ predicted" }),
    ...matrix.map((_, c) => element("th", { scope: "col", textContent: name(c) })));
  const rows = matrix.map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    const tr = element("tr");
    tr.append(element("th", { scope: "row", textContent: name(t) }), ...row.map((count, p) => {
      const td = element("td", { textContent: String(count) });
      const share = count / total;
      td.className = p === t ? "hit" : "miss";
      td.style.setProperty("--share", share.toFixed(3));
      if (share >= 0.55) td.classList.add("strong");
      return td;
    }));
    return tr;
  });
  const thead = element("thead");
  thead.append(head);
  const tbody = element("tbody");
  tbody.append(...rows);
  table.replaceChildren(caption, thead, tbody);
  table.hidden = false;
}

// The doctor's findings, each with a button that applies its advice (the action's settings
// merged into the current ones, sent as config by the hub's change()).
export function showDoctor(findings) {
  const key = JSON.stringify(findings || []);
  if (key === doctorShown) return; // rebuilt only when they change: a button keeps its focus
  doctorShown = key;
  const panel = $("doctor");
  const list = $("doctor-findings");
  panel.hidden = !findings;
  if (!findings) return;
  if (!findings.length) {
    list.replaceChildren(element("li", { textContent: "nothing wrong so far" }));
    return;
  }
  list.replaceChildren(...findings.map((f) => {
    const li = element("li");
    if (typeof f === "string") {
      li.textContent = f;
      return li;
    }
    li.append(element("span", { textContent: `epoch ${f.epoch}: ${f.text}` }));
    if (f.action) {
      const apply = element("button", { className: "plain advice", type: "button",
        textContent: f.action.label });
      apply.addEventListener("click", () => hooks.change({ ...f.action.settings }));
      li.append(" ", apply);
    }
    return li;
  }));
}

// The colour legend of the output map: the orange..blue scale, or one swatch per class.
function showLegend() {
  const legend = $("legend");
  const swatch = (rgb) => {
    const s = element("span", { className: "swatch" });
    s.style.background = `rgb(${rgb.join(",")})`;
    return s;
  };
  const text = (t) => element("span", { textContent: t });
  if (k > 2) {
    legend.replaceChildren(...classes.flatMap((name, c) => [
      swatch(CLASS_COLOURS[c % CLASS_COLOURS.length]), text(name)]));
    return;
  }
  const [low, high] = problem === "regression" ? ["-1", "+1"] : [classes[0] ?? "0", classes[1] ?? "1"];
  legend.replaceChildren(swatch(CLASS_COLOURS[0]), text(low), element("span", { className: "bar" }),
    text(high), swatch(CLASS_COLOURS[1]));
}

// --- compare -----------------------------------------------------------------------------------

// u8 maps (q encodes v = q / 127.5 - 1) as an image: one map on the orange..blue scale, or k
// class maps as the likeliest class's colour, faded where the network is unsure.
export function pinnedImage(bytes, maps, size) {
  const canvas = element("canvas", { width: size, height: size });
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(size, size);
  const n = size * size;
  for (let i = 0; i < n; i++) {
    let rgb;
    if (maps === 1) {
      rgb = diverging(bytes[i] / 127.5 - 1);
    } else {
      let best = 0;
      for (let c = 1; c < maps; c++) if (bytes[c * n + i] > bytes[best * n + i]) best = c;
      const p = bytes[best * n + i] / 255;
      const sure = Math.max(0, (p - 1 / maps) / (1 - 1 / maps));
      rgb = diverging(0).map((m, j) => m + (CLASS_COLOURS[best % CLASS_COLOURS.length][j] - m) * sure);
    }
    image.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

function bytesOf(base64) {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function showPinned() {
  const button = $("compare");
  button.setAttribute("aria-pressed", pinned ? "true" : "false");
  const figure = $("pinned");
  figure.hidden = !pinned;
  showChartLegend();
  scheduleChart();
  if (!pinned) return;
  const name = pinned.score_name || (problem === "regression" ? "R²" : "accuracy");
  const score = name === "accuracy" ? "accuracy" : "R\u00b2";
  $("pinned-label").textContent = pinned.label;
  $("pinned-scores").textContent = `epoch ${pinned.epoch}: test loss `
    + `${formatLoss(pinned.test_loss, true)}, test ${score} ${formatScore(pinned.test_score, name)}`
    + ` (training: ${formatLoss(pinned.train_loss, true)}, `
    + `${formatScore(pinned.train_score, name)})`;
  const canvas = $("pinned-boundary");
  canvas.setAttribute("aria-label", `The pinned run's output over the plane: ${pinned.label}`);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (pinned.boundary && grid) {
    const bytes = bytesOf(pinned.boundary);
    const maps = Math.max(1, Math.round(bytes.length / (grid * grid)));
    ctx.imageSmoothingEnabled = true;
    ctx.globalAlpha = 0.75; // as light as the live map
    ctx.drawImage(pinnedImage(bytes, maps, grid), 0, 0, canvas.width, canvas.height);
    ctx.globalAlpha = 1;
  }
}

function setPinned(value) {
  pinned = value || null;
  showPinned();
}

// --- what the hub calls ------------------------------------------------------------------------

// hooks: send(message), change(settingsUpdate) (merges, writes the URL, sends config),
// settings() (the current settings), schema() (the settings' description).
export function setupOutput(given) {
  hooks = { ...hooks, ...given };
  $("log-scale").addEventListener("change", scheduleChart);
  $("compare").addEventListener("click", () => hooks.send({ type: "compare", on: !pinned }));
  window.addEventListener("resize", scheduleChart);
  showChartLegend();
}

// A new network (built, rebuilt or restarted for a compare): a new curve from epoch 0.
export function outputNetwork(m, net) {
  problem = net.problem;
  classes = net.classes || [];
  k = net.k;
  grid = net.grid;
  history = [];
  marks = m.marks || [];
  showLegend();
  showConfusion(null);
  showDivergence(null);
  if ("pinned" in m) setPinned(m.pinned);
  else showChartLegend();
  scheduleChart();
}

// A frame's header: readouts, the chart's newest point, banner, confusion matrix, doctor.
export function outputFrame(m) {
  if (history.length && history[history.length - 1].epoch >= m.epoch) {
    history = history.filter((h) => h.epoch < m.epoch); // a rewind: the curve goes back too
  }
  // The frame's newest curve points fill the epochs whose frames were dropped (coalesced).
  const last = history.length ? history[history.length - 1].epoch : -1;
  for (const [epoch, train, test] of m.curve || []) {
    if (epoch > last && epoch < m.epoch) history.push({ epoch, train, test });
  }
  history.push({ epoch: m.epoch, train: m.train_loss, test: m.test_loss });
  if (history.length > MAX_POINTS) history = history.filter((_, i) => i % 2 === 0 || i === history.length - 1);
  if (m.marks) marks = m.marks;
  showDivergence(m.diverged);
  showReadouts(m);
  showConfusion(m.confusion);
  if (m.doctor !== undefined) showDoctor(m.doctor);
  showChartLegend();
  scheduleChart();
}

// The other messages: the state (divergence), a compare's answer, a live change (its mark).
export function outputMessage(m) {
  if (m.type === "state" && Array.isArray(m.curve)) {
    // a rewind: the whole curve up to the epoch gone back to
    history = m.curve.map(([epoch, train, test]) => ({ epoch, train, test }));
    scheduleChart();
  }
  if (m.type === "state" && "diverged" in m) showDivergence(m.diverged);
  else if (m.type === "compare") setPinned(m.pinned);
  else if (m.type === "settings" && Array.isArray(m.changed) && m.changed.length) {
    // a lower rate is the fix the banner asks for: training may go on from these weights
    if (diverged && divergedWith && (m.settings.lr < divergedWith.lr
        || m.settings.reg_rate < divergedWith.regRate)) showDivergence(null);
    // the mark at once (the next frame's marks, the server's own, replace it)
    const text = m.changed.map((name) => `${name} ${m.settings[name]}`).join(", ");
    marks = [...marks.filter((x) => x.epoch !== m.epoch || x.text !== text), { epoch: m.epoch, text }];
    showChartLegend();
    scheduleChart();
  }
}

// What the page's state shows of this column (window.playground reads these).
export const outputState = {
  get history() { return history; },
  get diverged() { return diverged; },
  get pinned() { return pinned; },
  get marks() { return marks; },
};
