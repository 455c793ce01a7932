// Audit appends straight at the service, for `npm run bench:audit`: the built app's own
// AuditService (dist/, not a copy), in a Nest application context of the CLI's modules in a
// process of its own, on the database the API migrated (DATABASE_URL and ORDEROPS_DATA_DIR
// from the parent: the same keys). Per round, over IPC,
//   { run: { ms, writers } }  ->  { done: { count, elapsedMs } } | { failed: message }
// `writers` concurrent loops each append one event per transaction of its own
// (AuditService.recordAlone, as a failed login does) until `ms` have passed; `count` is the
// transactions committed. { metrics: true } -> { metrics: text }: this process's Prometheus
// registry (the service's own counters, and whatever the audit code adds, e.g. a sequencer's).
// DATABASE_POOL_SIZE (set by the parent) is the number of connections the writers share.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import process from 'node:process';
import { URL } from 'node:url';

const dist = new URL('../../dist/', import.meta.url);
const { loadConfig, Metrics } = await import(new URL('libs/core/src/index.js', dist).href);
const { AuditService, systemActor } = await import(new URL('libs/audit/src/index.js', dist).href);
const { CliServicesModule } = await import(new URL('apps/cli/src/cli-services.module.js', dist).href);

const context = await NestFactory.createApplicationContext(
  CliServicesModule.forRoot(loadConfig(process.env), 'features'),
  { logger: false, abortOnError: false },
);
const audit = context.get(AuditService);
const metrics = context.get(Metrics);
const actor = systemActor('bench');

let rounds = 0;

async function run({ ms, writers }) {
  const round = rounds++;
  const started = process.hrtime.bigint();
  const until = Date.now() + ms;
  let count = 0;
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      while (Date.now() < until) {
        await audit.recordAlone({
          action: 'bench.audit.appended',
          actor,
          target: { type: 'bench', id: `w${writer}` },
          details: { round, writer },
        });
        count++;
      }
    }),
  );
  return { count, elapsedMs: Number(process.hrtime.bigint() - started) / 1e6 };
}

process.on('message', (message) => {
  if (message.metrics) {
    metrics.registry.metrics().then(
      (text) => process.send({ metrics: text }),
      (error) => process.send({ failed: error.message }),
    );
    return;
  }
  run(message.run).then(
    (done) => process.send({ done }),
    (error) => process.send({ failed: error.message }),
  );
});
const close = () => void context.close().then(() => process.exit(0));
process.once('SIGTERM', close);
// The parent gone (killed outright): close the database connections and go too.
process.once('disconnect', close);
process.send({ ready: true, recordAlone: typeof audit.recordAlone === 'function' });
