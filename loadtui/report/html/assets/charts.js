"use strict";
/* Charts on uPlot: palettes for light, dark and print; every series told apart by its
   dash and its label at the line's end as well as by its colour; events drawn as
   lettered markers; the x scales of all time charts zoomed together. */

const PALETTES = {
  light: {
    fg: "#1f2328", dim: "#57606a", grid: "#d8dee4",
    series: ["#0969da", "#cf222e", "#1a7f37", "#9a6700", "#8250df", "#bc4c00", "#1b7c83", "#57606a"],
    marks: { stage: "#57606a", operator: "#8250df", breach: "#cf222e", warning: "#9a6700", error: "#cf222e" },
    hatch: "rgba(154, 103, 0, 0.22)",
  },
  dark: {
    fg: "#e6edf3", dim: "#9198a1", grid: "#30363d",
    series: ["#4493f8", "#ff7b72", "#3fb950", "#d29922", "#bc8cff", "#f0883e", "#39c5cf", "#9198a1"],
    marks: { stage: "#9198a1", operator: "#bc8cff", breach: "#ff7b72", warning: "#d29922", error: "#ff7b72" },
    hatch: "rgba(210, 153, 34, 0.22)",
  },
};
const DASHES = [[], [9, 4], [2, 3], [12, 3, 2, 3], [5, 5], [1, 3], [14, 6], [6, 2, 2, 2]];
const GLYPHS = { stage: "S", operator: "O", breach: "!", warning: "W", error: "E" };
const MARK_DASH = { stage: [], operator: [4, 3], breach: [2, 2], warning: [6, 2, 1, 2], error: [1, 2] };
const MAX_MARKERS = 400;
const TIME_INCRS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/* x ticks: seconds since the start, to the tenth below a second's spacing. */
function timeTicks(u, vals, _axis, _space, incr) {
  return vals.map((v) => (incr < 1 ? `${v.toFixed(incr < 0.5 ? 2 : 1)}s` : fmt.time(v)));
}

function palette(printing) {
  const dark = !printing && window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  return PALETTES[dark ? "dark" : "light"];
}

function pxRatio() { return typeof uPlot.pxRatio === "number" ? uPlot.pxRatio : (window.devicePixelRatio || 1); }

/* Events as vertical lines, each kind with its own dash and letter; saturated periods
   as a hatched band. */
function markersPlugin(events, bands, pal) {
  let pattern = null;
  function hatch(ctx) {
    if (pattern) return pattern;
    const c = document.createElement("canvas");
    c.width = c.height = 8;
    const g = c.getContext("2d");
    g.strokeStyle = pal.hatch; g.lineWidth = 2;
    g.beginPath(); g.moveTo(0, 8); g.lineTo(8, 0); g.stroke();
    pattern = ctx.createPattern(c, "repeat");
    return pattern;
  }
  return {
    hooks: {
      draw: (u) => {
        const { ctx } = u, { left, top, width, height } = u.bbox;
        const min = u.scales.x.min, max = u.scales.x.max, px = pxRatio();
        ctx.save();
        ctx.beginPath(); ctx.rect(left, top, width, height); ctx.clip();
        for (const [a, b] of bands) {
          if (b < min || a > max) continue;
          const x0 = u.valToPos(Math.max(a, min), "x", true), x1 = u.valToPos(Math.min(b, max), "x", true);
          ctx.fillStyle = hatch(ctx);
          ctx.fillRect(x0, top, Math.max(x1 - x0, 2 * px), height);
        }
        ctx.font = `bold ${Math.round(10 * px)}px system-ui, sans-serif`;
        ctx.textBaseline = "top";
        let drawn = 0;
        for (const [t, kind] of events) {
          if (t < min || t > max || !(kind in GLYPHS)) continue;
          if (++drawn > MAX_MARKERS) break;
          const x = Math.round(u.valToPos(t, "x", true)) + 0.5;
          ctx.strokeStyle = ctx.fillStyle = pal.marks[kind];
          ctx.lineWidth = px;
          ctx.setLineDash(MARK_DASH[kind].map((d) => d * px));
          ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
          ctx.fillText(GLYPHS[kind], x + 2 * px, top + 2 * px);
        }
        ctx.restore();
      },
    },
  };
}

/* Each series' label at the right end of its line (spread apart so they do not overlap). */
function endLabelsPlugin(pal) {
  return {
    hooks: {
      draw: (u) => {
        const { ctx } = u, { left, top, width, height } = u.bbox, px = pxRatio();
        const xs = u.data[0], i0 = u.valToIdx ? u.valToIdx(u.scales.x.min) : 0;
        const i1 = u.valToIdx ? u.valToIdx(u.scales.x.max) : xs.length - 1;
        const labels = [];
        for (let s = 1; s < u.series.length; s++) {
          const ser = u.series[s];
          if (!ser.show) continue;
          const ys = u.data[s];
          let i = Math.min(i1, ys.length - 1);
          while (i >= i0 && (ys[i] === null || ys[i] === undefined)) i--;
          if (i < i0) continue;
          const y = u.valToPos(ys[i], ser.scale, true);
          if (!Number.isFinite(y)) continue;
          labels.push({ y, text: ser.label, color: ser._stroke || ser.stroke });
        }
        labels.sort((a, b) => a.y - b.y);
        const gap = 12 * px;
        for (let k = 1; k < labels.length; k++) labels[k].y = Math.max(labels[k].y, labels[k - 1].y + gap);
        ctx.save();
        ctx.font = `${Math.round(10 * px)}px system-ui, sans-serif`;
        ctx.textAlign = "right"; ctx.textBaseline = "middle";
        for (const l of labels) {
          const y = Math.min(Math.max(l.y, top + 6 * px), top + height - 4 * px);
          ctx.lineWidth = 3 * px; ctx.strokeStyle = pal.bgStroke || "rgba(127,127,127,0.15)";
          ctx.fillStyle = typeof l.color === "function" ? l.color(u, 1) : l.color;
          ctx.fillText(l.text, left + width - 3 * px, y);
        }
        ctx.restore();
      },
    },
  };
}

/* One uPlot chart. spec: {title, unit, yfmt, series: [{label, values, scale?, dash?,
   width?, stroke?}], x, y2?: {unit, yfmt}, time: true|false, stepped?} */
function makeChart(host, spec, ctx) {
  const pal = ctx.pal;
  const axis = {
    stroke: pal.dim, grid: { stroke: pal.grid, width: 1 }, ticks: { stroke: pal.grid, width: 1 },
    font: "11px system-ui, sans-serif", labelFont: "11px system-ui, sans-serif",
  };
  const scales = { x: { time: false } };
  const yRange = (u, min, max) => [Math.min(0, min || 0), max > 0 ? max * 1.08 : 1];
  scales.y = { range: yRange };
  const axes = [
    Object.assign({}, axis, spec.xaxis || { incrs: TIME_INCRS, values: timeTicks, space: 56 }),
    Object.assign({}, axis, { values: (u, vals) => vals.map(fmt.axis), size: 52, label: spec.unit, labelSize: 18 }),
  ];
  if (spec.series.some((s) => s.scale === "y2")) {
    scales.y2 = { range: yRange };
    axes.push(Object.assign({}, axis, {
      scale: "y2", side: 1, grid: { show: false }, values: (u, vals) => vals.map(fmt.axis),
      size: 52, label: spec.y2.unit, labelSize: 18,
    }));
  }
  const series = [{ label: spec.time === false ? "percentile" : "time", value: (u, v) => v === null || v === undefined ? "-" : (spec.xvalue || fmt.clock)(v) }];
  spec.series.forEach((s, i) => {
    const yfmt = s.scale === "y2" ? spec.y2.yfmt : spec.yfmt;
    series.push({
      label: s.label, scale: s.scale || "y",
      stroke: s.stroke || pal.series[i % pal.series.length],
      width: s.width || 1.5, dash: s.dash || DASHES[i % DASHES.length],
      points: { show: false }, spanGaps: !!s.spanGaps,
      paths: spec.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined,
      value: (u, v) => (v === null || v === undefined ? "-" : yfmt(v)),
    });
  });
  const plugins = [endLabelsPlugin(pal)];
  if (spec.time !== false) plugins.unshift(markersPlugin(ctx.events, ctx.bands, pal));
  const opts = {
    width: ctx.width, height: ctx.height, scales, axes, series, plugins,
    legend: { live: true },
    cursor: spec.time === false ? { drag: { x: false, y: false } } : { drag: { x: true, y: false, setScale: true }, sync: { key: "loadtui" } },
    hooks: spec.time === false ? {} : { setScale: [(u, key) => { if (key === "x") ctx.zoomed(u); }] },
  };
  const data = [spec.x, ...spec.series.map((s) => s.values)];
  const u = new uPlot(opts, data, host);
  u.spec = spec;
  return u;
}
