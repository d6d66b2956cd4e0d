"use strict";
/* The page: decode the runs, draw the charts for the picked endpoint, and recompute the
   tables for the zoomed range. `window.loadtui` exposes the state for tests. */

const state = { meta: null, runs: [], sel: "", win: null, charts: [], printing: false, syncing: false };

function runLabel(run) { return state.runs.length > 1 ? `${run.meta.label.toLowerCase()} ` : ""; }

function perSecond(run, arr) {
  const span = run.cols.span, out = new Array(run.nb);
  for (let b = 0; b < run.nb; b++) out[b] = span[b] > 0 ? arr[b] / span[b] : null;
  return out;
}

function column(run, name, scale) {
  const src = run.cols[name], out = new Array(run.nb);
  let any = false;
  for (let b = 0; b < run.nb; b++) {
    const v = src[b];
    out[b] = Number.isNaN(v) ? null : v * (scale || 1);
    if (out[b]) any = true;
  }
  return any ? out : null;
}

function topKeys(rows, group, limit) {
  const totals = new Map();
  for (const row of rows) for (const [k, arr] of (row && row.keyed[group]) || []) totals.set(k, (totals.get(k) || 0) + arr.reduce((a, b) => a + b, 0));
  return [...totals].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]).slice(0, limit).map(([k]) => k);
}

function seriesOf(row) { return row._series || (row._series = blockSeries(row)); }

/* Chart specs for the picked endpoint: per run, a list of {label, values}. */
const CHARTS = [
  { id: "throughput", title: "Throughput", unit: "per s", yfmt: fmt.rate, build: (run, row) => row && [
    { label: "req/s", values: perSecond(run, row.req) },
    { label: "errors/s", values: perSecond(run, row.fail) },
  ] },
  { id: "latency", title: "Latency", unit: "ms", yfmt: fmt.ms, build: (run, row) => {
    if (!row) return null;
    const s = seriesOf(row), keys = state.runs.length > 1 ? ["p50", "p95", "p99"] : ["p50", "p90", "p95", "p99", "max"];
    return keys.map((k) => ({ label: k, values: s[k] }));
  } },
  { id: "load", title: "Users and arrival rate", unit: "users", yfmt: fmt.count, y2: { unit: "per s", yfmt: fmt.rate }, build: (run) => [
    { label: "users", values: column(run, "users") },
    { label: "users wanted", values: column(run, "users_target") },
    { label: "arrivals/s", values: column(run, "rate"), scale: "y2" },
    { label: "in flight", values: column(run, "inflight") },
  ] },
  { id: "status", title: "Status codes", unit: "per s", yfmt: fmt.rate, build: (run, row) => row &&
    topKeys([row], "status", state.runs.length > 1 ? 3 : 6).map((k) => ({ label: k, values: perSecond(run, row.keyed.status.get(k)) })) },
  { id: "errors", title: "Failures by kind", unit: "per s", yfmt: fmt.rate, build: (run, row) => row &&
    topKeys([row], "errors", state.runs.length > 1 ? 3 : 6).map((k) => ({ label: k, values: perSecond(run, row.keyed.errors.get(k)) })) },
  { id: "limited", title: "Rate limited (429, 503 with Retry-After)", unit: "per s", yfmt: fmt.rate, build: (run) => [
    { label: "limited/s", values: column(run, "limited") && perSecond(run, run.cols.limited) },
    { label: "with Retry-After/s", values: column(run, "retry_after") && perSecond(run, run.cols.retry_after) },
  ] },
  { id: "open", title: "Open model: late and dropped starts", unit: "per s", yfmt: fmt.rate, build: (run) => [
    { label: "late/s", values: column(run, "late") && perSecond(run, run.cols.late) },
    { label: "dropped/s", values: column(run, "dropped") && perSecond(run, run.cols.dropped) },
  ] },
  { id: "ws-sessions", title: "WebSocket sessions", unit: "open", yfmt: fmt.count, y2: { unit: "per s", yfmt: fmt.rate }, build: (run) => run.streams.flatMap((s) => [
    { label: `${s.name} open`, values: Array.from(s.open) },
    { label: `${s.name} dropped/s`, values: perSecond(run, s.counts.disconnects), scale: "y2" },
  ]).slice(0, 6) },
  { id: "ws-rtt", title: "WebSocket round trips", unit: "ms", yfmt: fmt.ms, build: (run) => run.streams.filter((s) => s.idx.length).flatMap((s) => {
    const ser = seriesOf(s);
    return [{ label: `${s.name} p50`, values: ser.p50 }, { label: `${s.name} p99`, values: ser.p99 }];
  }).slice(0, 6) },
  { id: "ws-close", title: "WebSocket close codes", unit: "per s", yfmt: fmt.rate, build: (run) => {
    const keys = topKeys(run.streams, "close", 5);
    return keys.map((k) => {
      const arr = new Float64Array(run.nb);
      for (const s of run.streams) { const a = s.keyed.close && s.keyed.close.get(k); if (a) for (let b = 0; b < run.nb; b++) arr[b] += a[b]; }
      return { label: k, values: perSecond(run, arr) };
    });
  } },
  { id: "cpu", title: "CPU (% of one core)", unit: "%", yfmt: (v) => v.toFixed(0), build: (run) => [
    { label: "generator", values: column(run, "cpu") },
    { label: "target", values: column(run, "target_cpu") },
  ] },
  { id: "rss", title: "Memory (RSS)", unit: "MiB", yfmt: (v) => v.toFixed(0), build: (run) => [
    { label: "generator", values: column(run, "rss", 1 / 1048576) },
    { label: "target", values: column(run, "target_rss", 1 / 1048576) },
  ] },
  { id: "lag", title: "Generator event-loop lag (worst per tick)", unit: "ms", yfmt: fmt.ms, build: (run) => [
    { label: "loop lag", values: column(run, "lag") },
  ] },
];

function hasData(values) { return values && values.some((v) => v !== null && v !== undefined && v !== 0); }

/* Every run's series of one chart on one x axis (runs joined on their times). */
function chartData(def) {
  const parts = state.runs.map((run) => {
    const row = run.rows.find((r) => r.name === state.sel);
    const list = (def.build(run, row) || []).filter((s) => hasData(s.values));
    return { run, list };
  });
  const series = [];
  parts.forEach(({ run, list }, i) => list.forEach((s) => {
    series.push(Object.assign({}, s, {
      label: runLabel(run) + s.label,
      width: state.runs.length > 1 && i === 0 ? 1.2 : 1.5,
      spanGaps: state.runs.length > 1,
    }));
  }));
  if (!series.length) return null;
  if (parts.length === 1) return { x: Array.from(parts[0].run.cols.t), series };
  const tables = parts.map(({ run, list }) => [Array.from(run.cols.t), ...list.map((s) => s.values)]);
  const joined = uPlot.join(tables);
  series.forEach((s, i) => { s.values = joined[i + 1]; });
  if (state.runs.length > 1) {  // base: dashed; new: solid (told apart by the label too)
    let k = 0;
    parts.forEach(({ list }, r) => list.forEach((_s, j) => { series[k].dash = r === 0 ? [7, 4] : []; series[k].stroke = null; series[k].colorIndex = j; k++; }));
  }
  return { x: joined[0], series };
}

function distributionData() {
  const series = [];
  for (const run of state.runs) {
    const row = run.rows.find((r) => r.name === state.sel);
    if (!row) continue;
    const [b0, b1] = blockRange(run, state.win);
    if (b0 > b1) continue;
    const h = merged(row, b0, b1);
    if (!h.total) continue;
    const x = [], y = [];
    let cum = 0;
    for (let i = h.lo; i <= h.hi; i++) {
      if (!h.acc[i]) continue;
      x.push(-Math.log10(1 - cum / h.total)); y.push(HDR.high[i] / 1000);
      cum += h.acc[i];
    }
    const base = state.runs.length > 1 && run === state.runs[0];  // base dashed, as elsewhere
    series.push({ label: `${runLabel(run)}latency`, x, values: y, dash: base ? [7, 4] : [], colorIndex: 0 });
  }
  if (!series.length) return null;
  const joined = uPlot.join(series.map((s) => [s.x, s.values]));
  series.forEach((s, i) => { s.values = joined[i + 1]; s.spanGaps = true; });
  return { x: joined[0], series };
}

function chartSize() {
  const grid = document.getElementById("chart-grid");
  const cols = getComputedStyle(grid).gridTemplateColumns.split(" ").length || 1;
  const width = state.printing ? 680 : Math.max(260, Math.floor((grid.clientWidth - (cols - 1) * 16) / cols) - 2);
  return { width, height: width < 420 ? 180 : 220 };
}

function buildCharts() {
  for (const u of state.charts) u.destroy();
  state.charts = [];
  const grid = clear(document.getElementById("chart-grid"));
  const pal = palette(state.printing);
  const { width, height } = chartSize();
  const events = [], bands = [];
  for (const run of state.runs) { events.push(...run.meta.events.list); bands.push(...run.meta.saturation); }
  const ctx = { pal, width, height, events, bands, zoomed: onZoom };
  const add = (id, title, note, spec) => {
    const body = el("div", { class: "chart-body" });
    const fig = el("figure", { class: "chart", id: `chart-${id}`, dataset: { chart: id } }, el("figcaption", {}, el("strong", {}, title), note ? el("span", { class: "dim" }, ` ${note}`) : null), body);
    grid.append(fig);
    spec.series.forEach((s, i) => { if (s.colorIndex !== undefined) s.stroke = pal.series[s.colorIndex % pal.series.length]; else if (!s.stroke) s.stroke = pal.series[i % pal.series.length]; });
    state.charts.push(makeChart(body, spec, ctx));
  };
  const picked = state.sel === "" ? "all endpoints" : state.sel;
  const k = state.runs[0].meta.k;
  const per = k > 1 ? `(each point: ${k} ticks merged exactly)` : "(each point: one tick)";
  for (const def of CHARTS) {
    const data = chartData(def);
    if (!data) continue;
    const about = ["throughput", "latency", "status", "errors"].includes(def.id) ? `${picked} ${per}` : "";
    add(def.id, def.title, about, Object.assign({}, def, data));
    if (def.id === "latency") {
      const dist = distributionData();
      if (dist) {
        add("distribution", "Latency distribution", `${picked}, selected range (merged histogram)`, Object.assign({
          unit: "ms", yfmt: fmt.ms, time: false, stepped: true,
          xvalue: (v) => `${(100 - 100 / 10 ** v).toFixed(v > 3 ? 3 : 2)}%`,
          xaxis: { splits: (u, i, min, max) => Array.from({ length: Math.floor(max) + 1 }, (_v, n) => n),
            values: (u, vals) => vals.map((n) => (n === 0 ? "0%" : `${(100 - 100 / 10 ** n).toFixed(Math.max(0, n - 2))}%`)), space: 40 },
        }, dist));
      }
    }
  }
  if (state.win) applyWindow(state.win);
}

function onZoom(u) {
  if (state.syncing) return;
  const { min, max } = u.scales.x;
  const full = fullRange();
  state.win = min <= full.min && max >= full.max ? null : { min, max };
  applyWindow(state.win);
  renderWindow();
}

function fullRange() {
  let min = Infinity, max = -Infinity;
  for (const run of state.runs) if (run.nb) { min = Math.min(min, run.cols.t[0]); max = Math.max(max, run.cols.t[run.nb - 1]); }
  return { min, max };
}

function applyWindow(win) {
  const range = win || fullRange();
  state.syncing = true;
  try {
    for (const u of state.charts) {
      if (u.spec.time === false) continue;
      if (u.scales.x.min !== range.min || u.scales.x.max !== range.max) u.setScale("x", { min: range.min, max: range.max });
    }
  } finally { state.syncing = false; }
}

function setWindow(min, max) {
  const full = fullRange();
  state.win = min === null || (min <= full.min && max >= full.max) ? null : { min, max };
  applyWindow(state.win);
  renderWindow();
}

function renderWindow() {
  const label = document.getElementById("window-label");
  const run = state.runs[0], [b0, b1] = blockRange(run, state.win);
  if (b0 > b1) {
    label.textContent = "Selected range: no tick";
    Object.assign(label.dataset, { firstTick: "", lastTick: "" });
  } else {
    const first = run.first[b0], last = run.first[b1] + run.cols.ticks[b1] - 1;
    const start = b0 > 0 ? run.cols.t[b0 - 1] : 0;
    const what = state.win ? "Selected range" : "Whole run";
    label.textContent = `${what}: ${fmt.clock(start)} – ${fmt.clock(run.cols.t[b1])} (${fmt.count(last - first + 1)} of ${fmt.count(run.meta.ticks)} ticks${state.runs.length > 1 ? " of base" : ""})`;
    Object.assign(label.dataset, { firstTick: String(first), lastTick: String(last) });
  }
  document.getElementById("reset").disabled = !state.win;
  renderWindowEndpoints(document.getElementById("window-endpoints-box"), state.runs, state.win, state.sel);
  renderWindowDetail(document.getElementById("window-detail"), state.runs, state.win, state.sel);
  renderWindowStreams(document.getElementById("window-streams"), state.runs, state.win);
  renderEvents(document.getElementById("events-box"), state.runs, state.win);
  const dist = state.charts.find((u) => u.spec.time === false);
  if (dist) {
    const data = distributionData();
    if (data) dist.setData([data.x, ...data.series.map((s) => s.values)]);
  }
}

function renderPicker() {
  const picker = document.getElementById("picker");
  const seen = new Map();
  for (const run of state.runs) for (const row of run.rows) if (!seen.has(row.name)) seen.set(row.name, row.label);
  clear(picker).append(...[...seen].map(([name, label]) => el("option", { value: name }, label)));
  picker.value = state.sel;
  picker.addEventListener("change", () => select(picker.value));
}

function select(name) {
  state.sel = name;
  document.getElementById("picker").value = name;
  buildCharts();
  renderWindow();
}

function showError(err) {
  const box = document.getElementById("failure");
  box.hidden = false;
  box.textContent = `This report could not be drawn: ${err && err.message ? err.message : err}`;
  console.error(err);
}

async function boot() {
  const meta = JSON.parse(document.getElementById("loadtui-meta").textContent);
  state.meta = meta;
  for (let i = 0; i < meta.runs.length; i++) {
    state.runs.push(await decodeRun(meta.runs[i], document.getElementById(`loadtui-data-${i}`).textContent));
  }
  renderVerdict(document.getElementById("verdict"), state.runs, meta.compare);
  renderFacts(document.getElementById("facts-box"), state.runs);
  renderThresholds(document.getElementById("thresholds-box"), state.runs);
  if (meta.compare) {
    const box = document.getElementById("comparison");
    box.hidden = false;
    renderComparison(document.getElementById("comparison-box"), meta.compare);
  }
  renderWholeRun(document.getElementById("whole-box"), state.runs);
  renderPicker();
  buildCharts();
  renderWindow();
  document.getElementById("reset").addEventListener("click", () => setWindow(null, null));
  let width = document.getElementById("chart-grid").clientWidth;
  new ResizeObserver(() => {
    const now = document.getElementById("chart-grid").clientWidth;
    if (now !== width && !state.printing) { width = now; buildCharts(); }
  }).observe(document.getElementById("chart-grid"));
  const redraw = () => buildCharts();
  if (window.matchMedia) window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redraw);
  window.addEventListener("beforeprint", () => { state.printing = true; buildCharts(); });
  window.addEventListener("afterprint", () => { state.printing = false; buildCharts(); });
  document.documentElement.dataset.openMs = String(Math.round(performance.now()));
  document.documentElement.dataset.ready = "1";
}

window.loadtui = { state, select, setWindow, blockRange, rowFigures };
boot().catch(showError);
