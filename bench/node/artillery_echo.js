// Artillery processor for bench/suite.py's WebSocket echo comparison. `stamp` runs
// before each send and `received` after its echo was captured: it records the round
// trip as the `bench.ws_rtt` summary and waits out the rest of the session's interval,
// so each session sends one message every BENCH_WS_EVERY_MS (as loadtui's `every`).
'use strict';

const EVERY_MS = Number(process.env.BENCH_WS_EVERY_MS || 100);

function stamp(context, events, next) {
  const now = performance.now();
  const vars = context.vars;
  vars.benchSentAt = now;
  vars.benchNextAt = (vars.benchNextAt === undefined ? now : vars.benchNextAt) + EVERY_MS;
  return next();
}

function received(context, events, next) {
  const now = performance.now();
  events.emit('histogram', 'bench.ws_rtt', now - context.vars.benchSentAt);
  setTimeout(next, Math.max(0, context.vars.benchNextAt - now));
}

module.exports = { stamp, received };
