// An OTLP/HTTP collector stand-in for the tracing benchmark, in a process of its own (like
// every server of the benchmarks): it reads each export to the end, answers 200 and keeps
// only counts. Started by scripts/bench/observability.mjs; tells its parent its port over
// IPC, and answers { stats: true } with the exports and bytes received.
import { createServer } from 'node:http';
import process from 'node:process';

let exports = 0;
let bytes = 0;
const server = createServer((req, res) => {
  req.on('data', (chunk) => (bytes += chunk.length));
  req.on('end', () => {
    exports += 1;
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
server.listen(0, '127.0.0.1', () => process.send({ ready: true, port: server.address().port }));
process.on('message', () => process.send({ exports, bytes }));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
