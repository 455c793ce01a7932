// An OTLP/HTTP collector stand-in for the tracing benchmark, in a process of its own (like
// every server of the benchmarks): it reads each export to the end, counts the spans in it,
// answers 200 and keeps only counts. Started by scripts/bench/observability.mjs; tells its
// parent its port over IPC, and answers { stats: true } with the exports, bytes and spans
// received (the spans say whether the traced API exported one span per operation, or dropped
// some on a full queue).
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import process from 'node:process';
import { gunzipSync } from 'node:zlib';

/** Reads a protobuf varint at `offset`: [value, next offset]. */
function varint(bytes, offset) {
  let value = 0;
  let shift = 0;
  let at = offset;
  for (;;) {
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, at];
    shift += 7;
  }
}

/** Calls `onField(number, start, end)` for each length-delimited field of a protobuf message. */
function eachLengthField(bytes, start, end, onField) {
  let at = start;
  while (at < end) {
    const [tag, next] = varint(bytes, at);
    at = next;
    const wire = tag & 7;
    if (wire === 0) at = varint(bytes, at)[1];
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const [length, body] = varint(bytes, at);
      onField(Math.floor(tag / 8), body, body + length);
      at = body + length;
    } else throw new Error(`unexpected protobuf wire type ${wire}`);
  }
}

/**
 * Spans in an ExportTraceServiceRequest: resource_spans (1) > scope_spans (2) > spans (2),
 * the field numbers of opentelemetry/proto/trace/v1/trace.proto.
 */
function spansIn(bytes) {
  let count = 0;
  eachLengthField(bytes, 0, bytes.length, (resourceField, rs, re) => {
    if (resourceField !== 1) return;
    eachLengthField(bytes, rs, re, (scopeField, ss, se) => {
      if (scopeField !== 2) return;
      eachLengthField(bytes, ss, se, (spanField) => {
        if (spanField === 2) count++;
      });
    });
  });
  return count;
}

let exports = 0;
let bytes = 0;
let spans = 0;
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const received = Buffer.concat(chunks);
    // OTEL_EXPORTER_OTLP_COMPRESSION=gzip, if someone benchmarks with it.
    const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(received) : received;
    exports += 1;
    bytes += received.length;
    spans += spansIn(body);
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
server.listen(0, '127.0.0.1', () => process.send({ ready: true, port: server.address().port }));
process.on('message', () => process.send({ exports, bytes, spans }));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
