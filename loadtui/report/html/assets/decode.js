"use strict";
/* The embedded data back into typed arrays (the order of report/html/levels.py), and
   HdrHistogram reads that give exactly what loadtui's Python gives
   (metrics/histogram.py): the same bucket layout, the same rank rounding, the same
   "highest equivalent value" for a percentile and the maximum. */

const HDR = (() => {
  // HdrHistogram(1 µs, 1 h, 3 digits): unit magnitude 0, 1024 half sub-buckets,
  // 23 bucket rows of counts. Values reach 2^32: built with * and +, never with <<.
  const N = 23552, HALF_MAG = 10, HALF = 1 << HALF_MAG;
  const high = new Float64Array(N), low = new Float64Array(N), median = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let bucket = (i >> HALF_MAG) - 1, sub = (i & (HALF - 1)) + HALF;
    if (bucket < 0) { sub -= HALF; bucket = 0; }
    const size = 2 ** bucket, lo = sub * size;
    low[i] = lo; high[i] = lo + size - 1; median[i] = lo + Math.floor(size / 2);
  }
  return { N, high, low, median };
})();

const PCTS = [["p50", 50], ["p75", 75], ["p90", 90], ["p95", 95], ["p99", 99], ["p99.9", 99.9]];

/* The rank a percentile reads, as Python's int(min(p, 100) * total / 100 + 0.5). */
function rank(p, total) {
  return Math.max(Math.floor(Math.min(p, 100) * total / 100 + 0.5), 1);
}

function fromBase64(text) {
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(text);
  const bin = atob(text), out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

class Reader {
  constructor(bytes) { this.b = bytes; this.i = 0; }
  uint() {
    let out = 0, mul = 1, byte;
    do {
      if (this.i >= this.b.length) throw new Error("report data ends early");
      byte = this.b[this.i++];
      out += (byte & 0x7f) * mul;
      mul *= 128;
    } while (byte & 0x80);
    return out;
  }
  /* A column: 0 is no value (NaN), else zigzag(change) + 1. */
  column(n, scale) {
    const out = new Float64Array(n);
    let prev = 0;
    for (let j = 0; j < n; j++) {
      const c = this.uint();
      if (c === 0) { out[j] = NaN; continue; }
      const z = c - 1;
      prev += z % 2 ? -(z + 1) / 2 : z / 2;
      out[j] = prev / scale;
    }
    return out;
  }
}

/* Growable typed storage for a row's histogram entries. */
class Entries {
  constructor() { this.idx = new Uint16Array(1024); this.cnt = new Float64Array(1024); this.n = 0; }
  push(i, c) {
    if (this.n === this.idx.length) {
      const idx = new Uint16Array(this.n * 2), cnt = new Float64Array(this.n * 2);
      idx.set(this.idx); cnt.set(this.cnt);
      this.idx = idx; this.cnt = cnt;
    }
    this.idx[this.n] = i; this.cnt[this.n] = c; this.n++;
  }
  done() { return [this.idx.subarray(0, this.n), this.cnt.subarray(0, this.n)]; }
}

/* A row: an endpoint, the total, or a stream's round trips. Per block: `off[b]` to
   `off[b + 1]` are its buckets in `idx` (ascending) with their counts in `cnt`; keyed
   counts (status codes, error kinds, close codes) as Map(key → per-block array). */
function newRow(name, label, kind, nb) {
  return { name, label, kind, nb, off: new Uint32Array(nb + 1), idx: null, cnt: null, keyed: {} };
}

function keyed(row, group, key, nb) {
  const maps = row.keyed[group] || (row.keyed[group] = new Map());
  let arr = maps.get(key);
  if (!arr) { arr = new Float64Array(nb); maps.set(key, arr); }
  return arr;
}

function readPairs(r, row, group, names, b, nb) {
  const n = r.uint();
  for (let j = 0; j < n; j++) {
    const id = r.uint(), count = r.uint();
    const key = names[id];
    if (key === undefined) throw new Error(`report data: unknown ${group} key ${id}`);
    keyed(row, group, key, nb)[b] += count;
  }
}

function readHist(r, row, entries, b) {
  const n = r.uint();
  const start = entries.n;
  let prev = 0;
  for (let j = 0; j < n; j++) { prev += r.uint(); entries.push(prev, 0); }
  for (let j = 0; j < n; j++) entries.cnt[start + j] = r.uint();
  row.off[b + 1] = entries.n;
}

function readEndpoint(r, meta, info, nb) {
  const row = newRow(info.name, info.label, "endpoint", nb);
  row.req = new Float64Array(nb); row.fail = new Float64Array(nb);
  const entries = new Entries();
  for (let b = 0; b < nb; b++) {
    row.req[b] = r.uint(); row.fail[b] = r.uint();
    readPairs(r, row, "status", meta.keys.status, b, nb);
    readPairs(r, row, "errors", meta.keys.errors, b, nb);
    readHist(r, row, entries, b);
  }
  [row.idx, row.cnt] = entries.done();
  return row;
}

function readStream(r, meta, name, nb) {
  const row = newRow(name, name, "stream", nb);
  row.open = new Float64Array(nb); row.connecting = new Float64Array(nb);
  row.counts = {};
  for (const c of meta.stream_counts) row.counts[c] = new Float64Array(nb);
  const entries = new Entries();
  for (let b = 0; b < nb; b++) {
    row.open[b] = r.uint(); row.connecting[b] = r.uint();
    for (const c of meta.stream_counts) row.counts[c][b] = r.uint();
    readPairs(r, row, "close", meta.keys.close, b, nb);
    readPairs(r, row, "handshake", meta.keys.handshake, b, nb);
    readHist(r, row, entries, b);
  }
  [row.idx, row.cnt] = entries.done();
  return row;
}

/* The total: every endpoint's blocks added, bucket by bucket. */
function sumRows(rows, nb, name, label) {
  const total = newRow(name, label, "total", nb);
  total.req = new Float64Array(nb); total.fail = new Float64Array(nb);
  const scratch = new Float64Array(HDR.N), touched = new Int32Array(HDR.N);
  const entries = new Entries();
  for (let b = 0; b < nb; b++) {
    let nt = 0;
    for (const row of rows) {
      total.req[b] += row.req[b]; total.fail[b] += row.fail[b];
      for (let j = row.off[b]; j < row.off[b + 1]; j++) {
        const i = row.idx[j];
        if (scratch[i] === 0) touched[nt++] = i;
        scratch[i] += row.cnt[j];
      }
    }
    const order = touched.subarray(0, nt).sort();
    for (let j = 0; j < nt; j++) { const i = order[j]; entries.push(i, scratch[i]); scratch[i] = 0; }
    total.off[b + 1] = entries.n;
  }
  for (const group of ["status", "errors"]) {
    for (const row of rows) {
      for (const [key, arr] of row.keyed[group] || []) {
        const sum = keyed(total, group, key, nb);
        for (let b = 0; b < nb; b++) sum[b] += arr[b];
      }
    }
  }
  [total.idx, total.cnt] = entries.done();
  return total;
}

/* One run's data: columns by name, endpoint rows (the total first), stream rows. */
async function decodeRun(meta, text) {
  const bytes = await inflate(fromBase64(text));
  const r = new Reader(bytes);
  const nb = r.uint();
  const cols = {};
  for (const c of meta.columns) cols[c.name] = r.column(nb, c.scale);
  const endpoints = meta.endpoints.map((info) => readEndpoint(r, meta, info, nb));
  const streams = meta.streams.map((name) => readStream(r, meta, name, nb));
  if (r.i !== bytes.length) throw new Error("report data: trailing bytes");
  const total = sumRows(endpoints, nb, "", "All endpoints");
  const first = new Float64Array(nb);  // each block's first tick
  for (let b = 1; b < nb; b++) first[b] = first[b - 1] + cols.ticks[b - 1];
  return { meta, nb, cols, first, rows: [total, ...endpoints], streams };
}

/* A row's buckets over blocks b0..b1 (inclusive), merged into one dense histogram. */
function merged(row, b0, b1) {
  const acc = new Float64Array(HDR.N);
  let total = 0, lo = HDR.N, hi = -1;
  for (let j = row.off[b0]; j < row.off[b1 + 1]; j++) {
    const i = row.idx[j], c = row.cnt[j];
    acc[i] += c; total += c;
    if (i < lo) lo = i;
    if (i > hi) hi = i;
  }
  return { acc, total, lo, hi };
}

/* Latency figures of a merged histogram in µs, as metrics/histogram.latency_of reads
   them: percentiles and max at their bucket's highest equivalent value, min at its
   lowest, mean weighted by bucket medians. null when it holds nothing. */
function figures(h) {
  if (!h.total) return null;
  const out = { count: h.total };
  const targets = PCTS.map(([, p]) => rank(p, h.total));
  let cum = 0, k = 0, sum = 0;
  for (let i = h.lo; i <= h.hi; i++) {
    const c = h.acc[i];
    if (!c) continue;
    cum += c; sum += c * HDR.median[i];
    while (k < targets.length && cum >= targets[k]) out[PCTS[k++][0]] = HDR.high[i];
  }
  out.max = HDR.high[h.hi];
  out.min = h.acc[0] > 0 ? 0 : HDR.low[h.lo];
  out.mean = sum / h.total;
  return out;
}

/* Per block: p50 p90 p95 p99 and max in ms (null where a block holds nothing). */
function blockSeries(row) {
  const keys = [["p50", 50], ["p90", 90], ["p95", 95], ["p99", 99]];
  const out = { max: new Array(row.nb).fill(null) };
  for (const [key] of keys) out[key] = new Array(row.nb).fill(null);
  for (let b = 0; b < row.nb; b++) {
    const j0 = row.off[b], j1 = row.off[b + 1];
    if (j0 === j1) continue;
    let total = 0;
    for (let j = j0; j < j1; j++) total += row.cnt[j];
    let cum = 0, k = 0;
    for (let j = j0; j < j1 && k < keys.length; j++) {
      cum += row.cnt[j];
      while (k < keys.length && cum >= rank(keys[k][1], total)) out[keys[k++][0]][b] = HDR.high[row.idx[j]] / 1000;
    }
    out.max[b] = HDR.high[row.idx[j1 - 1]] / 1000;
  }
  return out;
}
