// The load generator of `npm run bench`, in a process of its own: no server shares its
// event loop or its core. bench.mjs sends one message per round over IPC,
//   { run: { port, ms, connections, request: {...}, headers } }
// and gets back { done: { count, elapsedMs } } or { failed: message }. Closed loop: each of
// `connections` keep-alive connections sends its next request when the previous answer
// has arrived, until `ms` have passed; every answer must have the expected status.
// `ports` instead of `port` spreads the connections over several servers (replicas of one
// service): connection i always talks to ports[i % ports.length]. `spreadAddresses: true`
// gives each connection a loopback source address of its own (127.0.1.<i>), so that the
// per-address rate limits (at most 100,000 a minute each) do not cap a long fast run.
// Requests (`request.kind`):
//   get          GET request.path                                         (expects 200)
//   get-random   GET request.prefix + a random one of request.ids          (expects 200)
//   create-order POST /orders, a new customer and Idempotency-Key each    (expects 201)
//   post         POST request.path with the string request.body, the same each time
//                (a token grant; its content-type and authorization come in `headers`)
//                                                                         (expects 200)
import { Buffer } from 'node:buffer';
import { Agent, request as httpRequest } from 'node:http';
import process from 'node:process';

function send(agent, port, method, path, headers, body, localAddress) {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, method, path, agent, headers, localAddress };
    const req = httpRequest(options, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The request maker for one round: `(n) => [method, path, extra headers, body, expected status]`. */
function requestsOf(request, tag) {
  switch (request.kind) {
    case 'get':
      return () => ['GET', request.path, {}, undefined, 200];
    case 'get-random':
      return () => [
        'GET',
        `${request.prefix}${request.ids[Math.floor(Math.random() * request.ids.length)]}`,
        {},
        undefined,
        200,
      ];
    case 'create-order':
      return (n) => {
        const body = JSON.stringify({
          currency: 'EUR',
          customer: {
            name: `Bench Person ${n}`,
            email: `b.${tag}.${n}@example.com`,
            phone: '+31 20 123 4567',
          },
          items: [
            { product: 'Laptop', unitPrice: '999.99', quantity: 1 },
            { product: 'Mouse', unitPrice: '24.99', quantity: 2 },
          ],
        });
        const headers = {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'idempotency-key': `bench-${tag}-${n}`,
        };
        return ['POST', '/orders', headers, body, 201];
      };
    case 'post': {
      const headers = { 'content-length': Buffer.byteLength(request.body) };
      return () => ['POST', request.path, headers, request.body, 200];
    }
    default:
      throw new Error(`unknown request kind ${request.kind}`);
  }
}

let rounds = 0;

async function run({
  port,
  ports = [port],
  ms,
  connections,
  request,
  headers = {},
  spreadAddresses = false,
}) {
  // Unique per round and per process, so no two rounds ever repeat an email or a key.
  const next = requestsOf(request, `${process.pid}-${rounds++}`);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const started = process.hrtime.bigint();
  const until = Date.now() + ms;
  let issued = 0;
  let count = 0;
  await Promise.all(
    Array.from({ length: connections }, async (_, connection) => {
      const target = ports[connection % ports.length];
      const localAddress = spreadAddresses ? `127.0.1.${(connection % 254) + 1}` : undefined;
      while (Date.now() < until) {
        const [method, path, extra, body, expected] = next(issued++);
        const status = await send(agent, target, method, path, { ...headers, ...extra }, body, localAddress);
        if (status !== expected)
          throw new Error(`${method} ${request.kind} answered ${status}, not ${expected}`);
        count++;
      }
    }),
  );
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  agent.destroy();
  return { count, elapsedMs };
}

process.on('message', (message) => {
  run(message.run).then(
    (done) => process.send({ done }),
    (error) => process.send({ failed: error.message }),
  );
});
// The parent gone (killed outright): nothing more to do.
process.once('disconnect', () => process.exit(0));
process.send({ ready: true });
