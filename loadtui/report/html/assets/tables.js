"use strict";
/* The tables: run facts, verdict and thresholds, the comparison (as `loadtui compare`
   judged it), and the figures of the selected range, recomputed from the blocks. */

const LAT_KEYS = ["p50", "p90", "p95", "p99", "p99.9", "max", "mean"];

function sum(arr, b0, b1) { let s = 0; for (let b = b0; b <= b1; b++) s += arr[b]; return s; }

/* Blocks of `run` whose end time lies in [min, max]: [b0, b1] (b0 > b1: none). */
function blockRange(run, win) {
  const t = run.cols.t, nb = run.nb;
  if (!win) return [0, nb - 1];
  let b0 = 0, b1 = nb - 1;
  while (b0 < nb && t[b0] < win.min) b0++;
  while (b1 >= 0 && t[b1] > win.max) b1--;
  return [b0, b1];
}

/* Requests, failures, req/s and latency figures (µs) of a row over blocks b0..b1. */
function rowFigures(run, row, b0, b1) {
  if (b0 > b1) return { requests: 0, failures: 0, rps: 0, lat: null };
  const requests = row.req ? sum(row.req, b0, b1) : 0;
  const span = sum(run.cols.span, b0, b1);
  return {
    requests, failures: row.fail ? sum(row.fail, b0, b1) : 0,
    rps: span > 0 ? requests / span : 0, lat: figures(merged(row, b0, b1)),
  };
}

function latCells(lat, keys) {
  return keys.map((k) => {
    const us = lat ? lat[k] : null;
    return cell(us === null || us === undefined ? "-" : fmt.ms(us / 1000), "num",
      us === null || us === undefined ? { key: k } : { key: k, us: String(Math.round(us * 1000) / 1000) });
  });
}

function renderFacts(box, runs) {
  clear(box);
  if (runs.length === 1) {
    box.append(table(null, ["", ""], runs[0].meta.facts.map(([k, v]) => el("tr", {}, el("th", { scope: "row" }, k), cell(v))), { class: "facts" }));
    return;
  }
  const keys = [];
  for (const r of runs) for (const [k] of r.meta.facts) if (!keys.includes(k)) keys.push(k);
  const get = (r, k) => (r.meta.facts.find(([kk]) => kk === k) || [k, "-"])[1];
  box.append(table(null, ["", "BASE", "NEW"], keys.map((k) => el("tr", {}, el("th", { scope: "row" }, k), ...runs.map((r) => cell(get(r, k))))), { class: "facts" }));
}

function renderVerdict(box, runs, compare) {
  clear(box);
  if (compare) {
    const ok = compare.judged && compare.ok;
    const word = !compare.judged ? "⛔ NOT COMPARABLE" : compare.ok ? "✓ NO REGRESSION" : "✗ REGRESSED";
    box.className = `verdict ${ok ? "ok" : "bad"}`;
    box.append(el("p", { class: "headline" }, `${word}: ${compare.verdict}`));
    for (const line of compare.differences) box.append(el("p", {}, "⛔ " + line));
    for (const note of compare.notes) box.append(el("p", {}, "⚠ Note: " + note));
    box.append(el("p", { class: "dim" }, compare.rules));
    return;
  }
  const v = runs[0].meta.verdict;
  box.className = `verdict ${v.passed ? "ok" : "bad"}`;
  box.append(el("p", { class: "headline" }, v.passed ? "✓ PASSED" : "✗ FAILED"));
  for (const r of v.reasons) box.append(el("p", {}, "✗ " + r));
  for (const w of v.warnings) box.append(el("p", {}, "⚠ " + w));
}

function renderThresholds(box, runs) {
  clear(box);
  runs.forEach((run) => {
    const th = run.meta.verdict.thresholds;
    const title = (runs.length > 1 ? `${run.meta.label}: ` : "") + "Thresholds";
    if (!th.length) { box.append(el("p", { class: "dim" }, `${title}: none set.`)); return; }
    box.append(table(title, ["Result", "Threshold", ["Observed", "num"], ["Limit", "num"], "Note"], th.map((t) =>
      el("tr", { class: t.ok ? "" : "failed" }, el("td", {}, mark(t.ok, "ok", "failed")), cell(t.name), cell(t.observed, "num"), cell(t.limit, "num"), cell(t.reason))
    )));
  });
}

function renderComparison(box, compare) {
  clear(box);
  for (const sec of compare.sections) {
    const rows = [];
    for (const row of sec.rows) {
      row.deltas.forEach((d, i) => rows.push(el("tr", { class: (row.total ? "total " : "") + (d.verdict === "regression" ? "failed" : ""), dataset: { row: row.name, figure: d.figure, verdict: d.verdict } },
        i === 0 ? el("th", { scope: "row", rowspan: row.deltas.length }, row.label) : null,
        cell(d.figure), cell(d.base, "num"), cell(d.new, "num"), cell(d.change, "num"), cell(d.relative, "num"),
        el("td", {}, d.verdict === "regression" ? mark(false, "", "regression") : d.verdict === "improvement" ? mark(true, "improvement", "") : d.verdict === "n/a" ? "not judged" : "")
      )));
    }
    box.append(table(sec.title, [sec.first, "Figure", ["Base", "num"], ["New", "num"], ["Change", "num"], ["%", "num"], "Verdict"], rows, { class: "comparison" }));
    for (const line of sec.only) box.append(el("p", {}, line));
  }
  for (const [title, sign, items] of [["Regressions", "✗", compare.regressions], ["Improvements", "✓", compare.improvements]]) {
    if (!items.length) continue;
    box.append(el("h3", {}, `${title} (${items.length})`), el("ul", { class: "marks" }, ...items.map((x) => el("li", {}, `${sign} ${x}`))));
  }
}

/* The selected range: endpoints (one run), or both runs side by side. */
function renderWindowEndpoints(box, runs, win, sel) {
  clear(box);
  if (runs.length === 1) {
    const run = runs[0], [b0, b1] = blockRange(run, win);
    const rows = [...run.rows.slice(1), run.rows[0]].map((row) => {
      const f = rowFigures(run, row, b0, b1);
      return el("tr", { class: (row.kind === "total" ? "total " : "") + (row.name === sel ? "selected" : ""), dataset: { row: row.name }, "aria-selected": row.name === sel ? "true" : null },
        el("th", { scope: "row" }, (row.name === sel ? "▶ " : "") + row.label),
        cell(fmt.count(f.requests), "num", { key: "requests", value: String(f.requests) }),
        cell(fmt.count(f.failures), "num", { key: "failures", value: String(f.failures) }),
        cell(f.requests ? fmt.pct(f.failures / f.requests) : "-", "num"),
        cell(fmt.rate(f.rps), "num", { key: "rps" }), ...latCells(f.lat, LAT_KEYS));
    });
    box.append(table("Endpoints in the selected range (latency in ms)", ["Endpoint", ["Requests", "num"], ["Failures", "num"], ["Errors", "num"], ["req/s", "num"], ...LAT_KEYS.map((k) => [k, "num"])], rows, { id: "window-endpoints" }));
    return;
  }
  const names = [];
  for (const run of runs) for (const row of run.rows.slice(1)) if (!names.includes(row.name)) names.push(row.name);
  names.push("");
  const ranges = runs.map((run) => blockRange(run, win));
  const rows = [];
  for (const name of names) {
    const figs = runs.map((run, i) => { const row = run.rows.find((r) => r.name === name); return row ? rowFigures(run, row, ...ranges[i]) : null; });
    const label = (runs.map((r) => r.rows.find((x) => x.name === name)).find(Boolean) || { label: name }).label;
    const p99 = figs.map((f) => (f && f.lat ? f.lat.p99 / 1000 : null));
    const delta = p99[0] !== null && p99[1] !== null ? p99[1] - p99[0] : null;
    rows.push(el("tr", { class: (name === "" ? "total " : "") + (name === sel ? "selected" : ""), dataset: { row: name } },
      el("th", { scope: "row" }, (name === sel ? "▶ " : "") + label),
      ...figs.flatMap((f, i) => [
        cell(f ? fmt.rate(f.rps) : "-", "num"),
        cell(f && f.requests ? fmt.pct(f.failures / f.requests) : "-", "num"),
        ...latCells(f && f.lat, ["p50", "p95", "p99"]).map((c) => { c.dataset.run = String(i); return c; }),
      ]),
      cell(delta === null ? "-" : (delta > 0 ? "+" : delta < 0 ? "-" : "") + fmt.ms(Math.abs(delta)), "num"),
      cell(delta === null || !p99[0] ? "-" : `${delta >= 0 ? "+" : ""}${(100 * delta / p99[0]).toFixed(1)}%`, "num")));
  }
  const heads = ["Endpoint"];
  for (const tag of ["base", "new"]) heads.push(...["req/s", "errors", "p50", "p95", "p99"].map((h) => [`${tag} ${h}`, "num"]));
  heads.push(["p99 change (ms)", "num"], ["p99 %", "num"]);
  box.append(table("Endpoints in the selected range, base against new (latency in ms; not judged: the verdict above is on the whole runs)", heads, rows, { id: "window-endpoints" }));
}

function keyedRows(run, row, group, b0, b1) {
  const maps = row.keyed[group];
  if (!maps || b0 > b1) return [];
  return [...maps].map(([k, arr]) => [k, sum(arr, b0, b1)]).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
}

function renderWindowDetail(box, runs, win, sel) {
  clear(box);
  for (const run of runs) {
    const row = run.rows.find((r) => r.name === sel);
    if (!row) continue;
    const [b0, b1] = blockRange(run, win);
    const prefix = runs.length > 1 ? `${run.meta.label}: ` : "";
    const status = keyedRows(run, row, "status", b0, b1), errors = keyedRows(run, row, "errors", b0, b1);
    const answered = status.reduce((s, [, n]) => s + n, 0), failed = errors.reduce((s, [, n]) => s + n, 0);
    box.append(table(`${prefix}Status codes of ${row.label} in the selected range`, ["Status", ["Responses", "num"], ["Share", "num"]],
      status.length ? status.map(([k, n]) => el("tr", { dataset: { status: k } }, el("th", { scope: "row" }, k), cell(fmt.count(n), "num"), cell(fmt.pct(n / answered), "num")))
        : [el("tr", {}, cell("no response in this range", "dim"), cell(""), cell(""))], { class: "detail status" }));
    box.append(table(`${prefix}Error kinds of ${row.label} in the selected range`, ["Kind", ["Failures", "num"], ["Share", "num"]],
      errors.length ? errors.map(([k, n]) => el("tr", { dataset: { error: k } }, el("th", { scope: "row" }, k), cell(fmt.count(n), "num"), cell(fmt.pct(n / failed), "num")))
        : [el("tr", {}, cell("no failure in this range", "dim"), cell(""), cell(""))], { class: "detail errors" }));
  }
}

function renderWindowStreams(box, runs, win) {
  clear(box);
  for (const run of runs) {
    if (!run.streams.length) continue;
    const [b0, b1] = blockRange(run, win);
    const prefix = runs.length > 1 ? `${run.meta.label}: ` : "";
    const rows = run.streams.map((s) => {
      const f = b0 <= b1 ? figures(merged(s, b0, b1)) : null;
      const c = (k) => (b0 <= b1 ? sum(s.counts[k], b0, b1) : 0);
      const closes = keyedRows(run, s, "close", b0, b1).map(([k, n]) => `${k} ×${fmt.count(n)}`).join(", ") || "-";
      return el("tr", { dataset: { stream: s.name } }, el("th", { scope: "row" }, s.name),
        cell(b0 <= b1 ? fmt.count(s.open[b1]) : "-", "num"), cell(fmt.count(c("opened")), "num"), cell(fmt.count(c("failed")), "num"),
        cell(fmt.count(c("disconnects")), "num"), cell(fmt.count(c("received")), "num"), cell(closes), ...latCells(f, ["p50", "p95", "p99", "max"]));
    });
    box.append(table(`${prefix}WebSocket streams in the selected range (round trips in ms)`, ["Stream", ["Open at end", "num"], ["Opened", "num"], ["Failed", "num"], ["Dropped", "num"], ["Messages in", "num"], "Close codes", ["RTT p50", "num"], ["RTT p95", "num"], ["RTT p99", "num"], ["RTT max", "num"]], rows));
  }
}

function renderEvents(box, runs, win) {
  clear(box);
  const LIMIT = 500;
  for (const run of runs) {
    const all = run.meta.events.list;
    const shown = all.filter(([t]) => !win || (t >= win.min && t <= win.max));
    const prefix = runs.length > 1 ? `${run.meta.label}: ` : "";
    const more = run.meta.events.more ? ` (${fmt.count(run.meta.events.more)} more in the session, not listed)` : "";
    const rows = shown.slice(0, LIMIT).map(([t, kind, msg]) => el("tr", { class: `ev-${kind}` },
      cell(fmt.clock(t), "num"), cell(`${GLYPHS[kind] ? GLYPHS[kind] + " " : ""}${kind}`), cell(msg)));
    if (shown.length > LIMIT) rows.push(el("tr", {}, cell(""), cell(""), cell(`… ${fmt.count(shown.length - LIMIT)} more in this range`)));
    box.append(table(`${prefix}Events in the selected range: ${fmt.count(shown.length)} of ${fmt.count(all.length)}${more}`, [["Time", "num"], "Kind", "Event"], rows, { class: "events" }));
  }
}

/* Whole-run figures only the report holds: checks, bytes, clamped, rate-limited lane,
   open model, the target's processes. */
function renderWholeRun(box, runs) {
  clear(box);
  for (const run of runs) {
    const r = run.meta.report, prefix = runs.length > 1 ? `${run.meta.label}: ` : "";
    const rows = [...r.endpoints, { name: "All endpoints", method: "", ...r }].map((e) => el("tr", {},
      el("th", { scope: "row" }, e.method && e.name.startsWith("/") ? `${e.method} ${e.name}` : e.name),
      cell(fmt.count(e.checks), "num"), cell(fmt.count(e.checks_failed), "num"),
      cell(fmt.count((e.rate_limited || { responses: 0 }).responses), "num"),
      cell(fmt.size(e.bytes_in), "num"), cell(fmt.size(e.bytes_out), "num"), cell(fmt.count(e.clamped), "num")));
    box.append(table(`${prefix}Whole run: checks, rate limiting, bytes`, ["Endpoint", ["Checks", "num"], ["Checks failed", "num"], ["Rate-limited", "num"], ["Bytes in", "num"], ["Bytes out", "num"], ["Beyond 1 h", "num"]], rows));
    const facts = [];
    const rl = r.rate_limited;
    if (rl.responses) facts.push(["rate limited (429 / 503 with Retry-After)", `${fmt.count(rl.responses)} responses, ${fmt.count(rl.with_retry_after)} with Retry-After, ${fmt.count(rl.honoured)} honoured, waited ${rl.waited_s.toFixed(1)} s`]);
    if (r.open_model.late_starts || r.open_model.dropped) facts.push(["open model", `${fmt.count(r.open_model.late_starts)} late starts, ${fmt.count(r.open_model.dropped)} dropped`]);
    const tp = r.target_process;
    if (tp) facts.push(["target processes", `pids ${tp.pids.join(", ") || "-"}; RSS ${fmt.size(tp.rss_start_bytes)} → ${fmt.size(tp.rss_end_bytes)} (max ${fmt.size(tp.rss_max_bytes)}, growth ${fmt.size(tp.rss_growth_bytes)}); CPU mean ${tp.cpu_mean_percent.toFixed(1)}%, max ${tp.cpu_max_percent.toFixed(1)}%`]);
    else facts.push(["target processes", "not watched (not on this machine, or no --target-pid)"]);
    if (r.generator_saturated) facts.push(["generator", "saturated: see the hatched periods on the charts"]);
    box.append(table(null, ["", ""], facts.map(([k, v]) => el("tr", {}, el("th", { scope: "row" }, k), cell(v))), { class: "facts" }));
  }
}
