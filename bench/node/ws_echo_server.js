// A WebSocket echo server not written in Python (node + the `ws` package), so the
// WebSocket benchmark measures loadtui's client, not a Python server beside it.
// Usage: node ws_echo_server.js [port]  -> prints the port, then echoes every message.
const { WebSocketServer } = require('ws');

const port = parseInt(process.argv[2] || '0', 10);
const wss = new WebSocketServer({
  host: '127.0.0.1', port, perMessageDeflate: false, maxPayload: 1 << 20, backlog: 4096,
});
wss.on('listening', () => console.log(wss.address().port));
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
process.on('SIGTERM', () => process.exit(0));
