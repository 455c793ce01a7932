import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_OPERATOR_PASSWORD } from '../support/auth.js';
import { SAMPLE_CSV } from '../support/imports.js';
import { runCli, startApi, type RunningProcess } from '../support/processes.js';
import { makeTempDir } from '../support/test-database.js';

// Several CLI processes per case, each booting Nest beside a running API on a loaded machine.
const BUDGET = 180_000;

const STACK_LINE = /^\s+at /m;

function oneErrorLine(res: { stderr: string }): string {
  const lines = res.stderr.trimEnd().split('\n');
  expect(lines, res.stderr).toHaveLength(1);
  expect(res.stderr).not.toMatch(STACK_LINE);
  return lines[0];
}

/**
 * The embedded database belongs to one process at a time; with the API running, the CLI
 * reaches it through the unix socket the API serves inside its 0700 data directory.
 */
describe('the CLI beside the running API on the embedded database (built, as processes)', () => {
  const dataDir = makeTempDir('orderops-beside-');
  const env = { ORDEROPS_DATA_DIR: dataDir };
  const lockFile = join(dataDir, 'orderops.lock');
  const socket = join(dataDir, 'run', '.s.PGSQL.5432');
  let api: RunningProcess;
  let pid: string;
  const cli = (args: string[], input?: string) => runCli(args, env, input);
  const token = (body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${api.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(body).toString(),
    });

  beforeAll(async () => {
    api = await startApi(env);
    pid = String(api.child.pid);
  }, BUDGET);
  afterAll(async () => {
    if (api?.child.exitCode === null) {
      api.child.kill('SIGTERM');
      await api.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the lock file names the holder and the socket it serves', () => {
    expect(readFileSync(lockFile, 'utf8')).toBe(`${pid}\n${socket}\n`);
  });

  it(
    'operators, clients and keys work while the API runs, and the API accepts what the CLI made',
    async () => {
      const listed = cli(['keys', 'list']);
      expect(listed.status, listed.stderr).toBe(0);
      expect(listed.stdout).toContain('active');

      const op = cli(
        ['operators', 'create', 'beside-ops', '--scopes', 'orders:read'],
        `${TEST_OPERATOR_PASSWORD}\n`,
      );
      expect(op.status, op.stderr).toBe(0);
      expect(op.stdout).toContain('Created operator beside-ops');
      const login = await token({
        grant_type: 'password',
        client_id: 'orderops-web',
        username: 'beside-ops',
        password: TEST_OPERATOR_PASSWORD,
      });
      expect(login.status).toBe(200);

      const client = cli(['clients', 'create', 'Beside CLI', '--scopes', 'orders:read']);
      expect(client.status, client.stderr).toBe(0);
      const id = /client_id=(\S+)/.exec(client.stdout)?.[1] ?? '';
      const secret = /client_secret=(\S+)/.exec(client.stdout)?.[1] ?? '';
      const basic = `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
      expect((await token({ grant_type: 'client_credentials' }, { authorization: basic })).status).toBe(200);

      const rotated = cli(['keys', 'rotate']);
      expect(rotated.status, rotated.stderr).toBe(0);
      expect(rotated.stdout).toMatch(/New signing key: \S+/);
      expect(cli(['pii', 'rewrap']).status).toBe(0);
    },
    BUDGET,
  );

  it(
    'import works beside the API and speaks CLI: messages for rejected rows, --allow-duplicate',
    () => {
      const first = cli(['import', SAMPLE_CSV]);
      expect(first.status, first.stderr).toBe(0);
      expect(first.stdout).toContain('rows 6, accepted 4, rejected 2, orders 4');
      expect(first.stdout).toContain('line 5: product must be longer than or equal to 1 characters');
      expect(first.stdout).toContain(
        'line 6: price must be a decimal string > 0 and <= 1000000 with at most 3 decimals (and no more than its currency has)',
      );
      expect(first.stdout).not.toMatch(/isLength|isPositiveMoney|too_short|invalid_amount/);
      const importId = /Imported: (IMP-\S+)/.exec(first.stdout)?.[1] ?? '';

      const again = cli(['import', SAMPLE_CSV]);
      expect(again.status).toBe(1);
      expect(oneErrorLine(again)).toBe(
        `orderops: ${SAMPLE_CSV} (same SHA-256) was imported before as ${importId}; pass --allow-duplicate to import it again`,
      );
      expect(again.stderr).not.toContain('allowDuplicate');
      expect(cli(['import', SAMPLE_CSV, '--allow-duplicate']).status).toBe(0);
    },
    BUDGET,
  );

  it(
    'audit checkpoint and verify work beside the API and report positions with the same type',
    () => {
      const taken = cli(['audit', 'checkpoint']);
      expect(taken.status, taken.stderr).toBe(0);
      const checkpoint = JSON.parse(taken.stdout) as { treeSize: unknown };
      expect(typeof checkpoint.treeSize).toBe('number');
      const file = join(dataDir, 'checkpoint.json');
      writeFileSync(file, taken.stdout);
      const verified = cli(['audit', 'verify', '--checkpoint', file]);
      expect(verified.status, verified.stderr).toBe(0);
      const report = JSON.parse(verified.stdout) as { lastSeq: unknown; checkpoint: { treeSize: unknown } };
      expect(report.checkpoint.treeSize).toBe(checkpoint.treeSize);
      expect(typeof report.lastSeq).toBe('number');
      expect(report.lastSeq).toBeGreaterThanOrEqual(checkpoint.treeSize as number);
    },
    BUDGET,
  );

  it(
    'migrate is refused beside the running instance, in one line naming it; the API stays ready',
    async () => {
      const res = cli(['migrate']);
      expect(res.status).toBe(1);
      expect(oneErrorLine(res)).toBe(
        `orderops: The embedded database is in use by process ${pid}; migrations never run beside it: ` +
          'stop that process, then run `orderops migrate`.',
      );
      const ready = await fetch(`${api.url}/health/ready`);
      expect(ready.status).toBe(200);
    },
    BUDGET,
  );

  it(
    "refuses a socket that is not safely the data directory's own, and an older lock that names none",
    () => {
      const original = readFileSync(lockFile, 'utf8');
      try {
        writeFileSync(lockFile, `${pid}\n/tmp/elsewhere/.s.PGSQL.5432\n`);
        const elsewhere = cli(['keys', 'list']);
        expect(elsewhere.status).toBe(1);
        expect(oneErrorLine(elsewhere)).toBe(
          `orderops: The data directory ${dataDir} is in use by process ${pid}, and its database socket ` +
            '/tmp/elsewhere/.s.PGSQL.5432 is not the one inside the data directory.',
        );

        writeFileSync(lockFile, `${pid}\n`);
        const older = cli(['keys', 'list']);
        expect(older.status).toBe(1);
        expect(oneErrorLine(older)).toContain(`is in use by process ${pid}`);
        writeFileSync(lockFile, original);

        chmodSync(join(dataDir, 'run'), 0o755);
        const open = cli(['keys', 'list']);
        expect(open.status).toBe(1);
        expect(oneErrorLine(open)).toContain('its database socket directory is open to other users');
      } finally {
        writeFileSync(lockFile, original);
        chmodSync(join(dataDir, 'run'), 0o700);
      }
      expect(cli(['keys', 'list']).status).toBe(0);
    },
    BUDGET,
  );

  it(
    'once the API has stopped, the CLI opens the data directory itself',
    async () => {
      api.child.kill('SIGTERM');
      expect(await api.exited).toBe(0);
      const listed = cli(['keys', 'list']);
      expect(listed.status, listed.stderr).toBe(0);
      expect(listed.stdout).toContain('active');
      const migrate = cli(['migrate']);
      expect(migrate.status, migrate.stderr).toBe(0);
      expect(migrate.stdout).toContain('Database schema is up to date.');
    },
    BUDGET,
  );
});
