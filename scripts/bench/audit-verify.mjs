// How a full audit log verification grows with the log (issue 16): on a scratch PostgreSQL
// database (created and dropped here; its name contains "bench"), migrated by the built app,
// N valid events are bulk-inserted unsequenced (leaf hashes from the built lib), sequenced by
// the built AuditSequencer, then AuditLog.verify() walks the whole log, and a consistency
// proof from a kept checkpoint to the head is timed. Sizes grow in one database (10k, 100k,
// 1M by default; BENCH_VERIFY_SIZES=10000,100000 to override).
//
// The tables have autovacuum off and are never ANALYZEd while the log grows (the statistics
// stay those of an empty table); at the largest size verify runs once more after ANALYZE: the
// walk pages by position, so its time must not depend on statistics. The plan of one page is
// printed both ways.
//
// A benchmark: it reports and never fails on a number. Server: BENCH_PG_URL (default
// postgres://postgres@127.0.0.1:5432/postgres, the database the scratch one is created from).
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { URL } from 'node:url';
import pg from 'pg';

const say = (line) => process.stdout.write(`${line}\n`);

const sizes = (process.env.BENCH_VERIFY_SIZES ?? '10000,100000,1000000')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isSafeInteger(n) && n > 0)
  .sort((a, b) => a - b);
const serverUrl = new URL(process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const name = `orderops_bench_verify_${randomBytes(4).toString('hex')}`;
const INSERT_BATCH = 20_000;

const dataDir = mkdtempSync(join(tmpdir(), 'orderops-bench-verify-'));
const dbUrl = new URL(serverUrl);
dbUrl.pathname = `/${name}`;
Object.assign(process.env, {
  NODE_ENV: 'development',
  LOG_LEVEL: 'warn',
  ORDEROPS_DATA_DIR: dataDir,
  DATABASE_URL: dbUrl.toString(),
});

const admin = new pg.Client({ connectionString: serverUrl.toString() });
const seconds = (startNs) => Number(process.hrtime.bigint() - startNs) / 1e9;
const fmt = (n, digits = 2) => n.toFixed(digits);

async function main() {
  say(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (meaningful below 2)`,
  );
  await admin.connect();
  if (!name.includes('bench')) throw new Error('scratch database name must contain "bench"');
  await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  let context;
  let direct;
  try {
    // Built app only (npm run bench:audit-verify builds first).
    const { CliServicesModule } = await import('../../dist/apps/cli/src/cli-services.module.js');
    const { loadConfig, Database } = await import('../../dist/libs/core/src/index.js');
    const audit = await import('../../dist/libs/audit/src/index.js');
    const { DataSource } = await import('typeorm');
    const config = loadConfig(process.env);
    const migrator = await NestFactory.createApplicationContext(
      CliServicesModule.forRoot(config, 'migrate'),
      {
        logger: ['error', 'warn'],
      },
    );
    await migrator.get(Database).migrate();
    await migrator.close();
    context = await NestFactory.createApplicationContext(CliServicesModule.forRoot(config, 'features'), {
      logger: ['error', 'warn'],
    });
    const sequencer = context.get(audit.AuditSequencer);
    const log = context.get(audit.AuditLog);
    const ds = context.get(DataSource);
    direct = new pg.Client({ connectionString: dbUrl.toString() });
    await direct.connect();
    for (const table of ['audit_events', 'audit_tree_nodes', 'audit_tree_heads']) {
      await direct.query(
        `ALTER TABLE ${table} SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)`,
      );
    }
    await sequencer.drain();
    let have = Number((await direct.query('SELECT count(*)::int AS n FROM audit_events')).rows[0].n);
    const rows = [];
    let previous;
    for (const n of sizes) {
      const insertStart = process.hrtime.bigint();
      await insertEvents(direct, audit.computeLeafHash, n - have);
      const insertS = seconds(insertStart);
      const seqStart = process.hrtime.bigint();
      await sequencer.drain();
      const seqS = seconds(seqStart);
      have = n;
      const verifyStart = process.hrtime.bigint();
      const result = await log.verify();
      const verifyS = seconds(verifyStart);
      if (!result.valid || result.checked < n) throw new Error(`verify at ${n}: ${JSON.stringify(result)}`);
      let proofMs;
      let checkpointMs;
      if (previous) {
        const proofStart = process.hrtime.bigint();
        const p = await log.consistencyProof(String(previous.treeSize), String(result.checked));
        proofMs = seconds(proofStart) * 1000;
        if (p.fromRoot !== previous.rootHash)
          throw new Error('consistency proof from a kept head does not match');
        const cpStart = process.hrtime.bigint();
        await log.inclusionProof(String(Math.ceil(result.checked / 2)));
        checkpointMs = seconds(cpStart) * 1000;
      }
      previous = await log.head();
      rows.push({ n: result.checked, insertS, seqS, verifyS, proofMs, inclusionMs: checkpointMs });
      say(
        `N=${result.checked}: inserted in ${fmt(insertS)} s, sequenced in ${fmt(seqS)} s, verified in ${fmt(verifyS)} s`,
      );
    }
    // One page as verify asks for it: a window of 1000 positions in the middle of the log.
    const plan = async () =>
      (
        await ds.query(
          `EXPLAIN SELECT * FROM audit_events e WHERE e.seq > $1 AND e.seq <= $2 ORDER BY e.seq ASC LIMIT 1000`,
          [String(Math.floor(have / 2)), String(Math.floor(have / 2) + 1000)],
        )
      )
        .map((r) => r['QUERY PLAN'])
        .join('\n    ');
    const planBefore = await plan();
    await direct.query('ANALYZE audit_events');
    const planAfter = await plan();
    const analyzedStart = process.hrtime.bigint();
    const analyzed = await log.verify();
    const analyzedS = seconds(analyzedStart);

    say('\nFull AuditLog.verify() (autovacuum off, never analyzed while growing)');
    say('        N   verify s    events/s   growth per 10x   consistency ms   inclusion ms   sequence s');
    rows.forEach((r, i) => {
      const prev = rows[i - 1];
      let growth = '';
      if (prev) {
        // Time ratio normalised to a tenfold size step.
        const ratio = r.verifyS / prev.verifyS;
        const step = Math.log10(r.n / prev.n);
        growth = `${fmt(ratio ** (1 / step))}x`;
      }
      say(
        `${String(r.n).padStart(9)} ${fmt(r.verifyS, 3).padStart(10)} ${fmt(r.n / r.verifyS, 0).padStart(11)} ${growth.padStart(16)} ${(r.proofMs === undefined ? '' : fmt(r.proofMs, 1)).padStart(16)} ${(r.inclusionMs === undefined ? '' : fmt(r.inclusionMs, 1)).padStart(14)} ${fmt(r.seqS, 2).padStart(12)}`,
      );
    });
    const last = rows.at(-1);
    say(
      `\nAt N=${analyzed.checked} after ANALYZE: ${fmt(analyzedS, 3)} s (${fmt(analyzed.checked / analyzedS, 0)} events/s; without statistics ${fmt(last.verifyS, 3)} s)`,
    );
    say(`Plan of one verify page without statistics:\n    ${planBefore}`);
    say(`Plan after ANALYZE:\n    ${planAfter}`);
    say(
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await direct?.end().catch(() => undefined);
    await context?.close().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `count` valid events, unsequenced, in large unnest batches, as the repository inserts them. */
async function insertEvents(client, computeLeafHash, count) {
  const actions = ['orders.order.created', 'auth.token.issued', 'orders.order.status_changed'];
  for (let done = 0; done < count; done += INSERT_BATCH) {
    const size = Math.min(INSERT_BATCH, count - done);
    const cols = { id: [], at: [], actor: [], action: [], target: [], details: [], leaf: [] };
    const at = new Date();
    for (let i = 0; i < size; i++) {
      const event = {
        id: randomUUID(),
        at,
        actor: `bench-${(done + i) % 50}`,
        actorType: 'operator',
        action: actions[(done + i) % actions.length],
        targetType: 'order',
        targetId: randomUUID(),
        outcome: 'success',
        requestId: null,
        details: { n: done + i },
      };
      cols.id.push(event.id);
      cols.at.push(event.at);
      cols.actor.push(event.actor);
      cols.action.push(event.action);
      cols.target.push(event.targetId);
      cols.details.push(JSON.stringify(event.details));
      cols.leaf.push(computeLeafHash(event));
    }
    await client.query(
      `INSERT INTO audit_events (id, at, actor, actor_type, action, target_type, target_id, outcome,
         request_id, details, leaf_hash)
       SELECT e.id, e.at, e.actor, 'operator', e.action, 'order', e.target_id, 'success', NULL,
         e.details, e.leaf_hash
       FROM unnest($1::uuid[], $2::timestamptz[], $3::varchar[], $4::varchar[], $5::varchar[],
         $6::jsonb[], $7::varchar[]) WITH ORDINALITY AS e(id, at, actor, action, target_id, details, leaf_hash, n)
       ORDER BY e.n`,
      [cols.id, cols.at, cols.actor, cols.action, cols.target, cols.details, cols.leaf],
    );
  }
}

await main();
