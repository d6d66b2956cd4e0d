"use strict";
/* Numbers as loadtui's other reports write them (report/fmt.py), and DOM helpers that
   only ever set text: nothing read from a session becomes markup. */

const fmt = {
  ms(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return "-";
    if (v < 10) return v.toFixed(2);
    if (v < 100) return v.toFixed(1);
    return v.toFixed(0);
  },
  rate(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return "-";
    if (v < 10) return v.toFixed(2);
    if (v < 1000) return v.toFixed(1);
    return Math.round(v).toLocaleString("en-US");
  },
  /* An axis tick: 4 significant digits at most, grouped: 0.25, 250, 4,000. */
  axis(v) {
    if (v === null || v === undefined) return "";
    return Number(v.toPrecision(4)).toLocaleString("en-US", { maximumFractionDigits: 3 });
  },
  count(v) { return Math.round(v).toLocaleString("en-US"); },
  pct(fraction) {
    const v = fraction * 100;
    if (v === 0) return "0%";
    if (v < 0.01) return "<0.01%";
    if (v < 10) return v.toFixed(2) + "%";
    return v.toFixed(1) + "%";
  },
  size(n) {
    for (const unit of ["B", "KiB", "MiB", "GiB"]) {
      if (Math.abs(n) < 1024 || unit === "GiB") return unit === "B" ? `${n.toFixed(0)} B` : `${n.toFixed(1)} ${unit}`;
      n /= 1024;
    }
    return "";
  },
  /* Seconds since the start: 45s, 1m30s, 2h05m (the SVG chart's labels). */
  time(seconds) {
    const s = Math.round(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (h) return m ? `${h}h${String(m).padStart(2, "0")}m` : `${h}h`;
    if (m) return sec ? `${m}m${String(sec).padStart(2, "0")}s` : `${m}m`;
    return `${sec}s`;
  },
  /* A precise clock for a window's edges: 1:02:03.5 or 2:03.5. */
  clock(seconds) {
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    const ss = s.toFixed(1).padStart(4, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
  },
};

/* el("td", {class: "num", dataset: {us: 5}}, "text", child…) */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function clear(node) { while (node.firstChild) node.firstChild.remove(); return node; }

/* A table: heads [text | [text, class]], rows of cells (a Node, or text). */
function table(caption, heads, rows, attrs) {
  const thead = el("thead", {}, el("tr", {}, ...heads.map((h) => {
    const [text, cls] = Array.isArray(h) ? h : [h, ""];
    return el("th", { scope: "col", class: cls || null }, text);
  })));
  const body = el("tbody", {}, ...rows);
  return el("div", { class: "table-wrap" },
    el("table", attrs || {}, caption ? el("caption", {}, caption) : null, thead, body));
}

function cell(text, cls, dataset) {
  return el("td", { class: cls || null, dataset: dataset || null }, text);
}

/* Pass or fail, in words and a sign, never in colour alone. */
function mark(ok, yes, no) {
  return el("span", { class: ok ? "mark ok" : "mark bad" }, ok ? `✓ ${yes}` : `✗ ${no}`);
}
