import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnApi, startApi, type RunningProcess } from './support/processes.js';
import { makeTempDir } from './support/test-database.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[/;

/** Waits until `read()` has a line that satisfies `match` (log lines are written asynchronously). */
async function lineOf(read: () => string, match: (line: string) => boolean): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const found = read()
      .split('\n')
      .find((line) => match(line));
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no such line in:\n${read()}`);
}

/** The process's stderr must be exactly one JSON log line, and nothing coloured anywhere. */
function oneJsonLine(proc: RunningProcess): Record<string, unknown> {
  const stderr = proc.stderr();
  expect(stderr).not.toMatch(ANSI);
  expect(proc.stdout()).not.toMatch(ANSI);
  const lines = stderr.split('\n').filter((line) => line !== '');
  expect(lines, stderr).toHaveLength(1);
  return JSON.parse(lines[0]) as Record<string, unknown>;
}

describe('the built API at startup', () => {
  const running: RunningProcess[] = [];
  const dirs: string[] = [];
  const dataDir = (): string => {
    const dir = makeTempDir();
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const p of running.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('reports an invalid production configuration as one JSON line on stderr, naming settings, never values', async () => {
    const dbPassword = `pw-${randomBytes(6).toString('hex')}`;
    const adminPassword = `admin-${randomBytes(6).toString('hex')}`;
    const api = await spawnApi({
      NODE_ENV: 'production',
      ORDEROPS_DATA_DIR: dataDir(),
      DATABASE_URL: `postgres://orderops:${dbPassword}@127.0.0.1:1/orderops`,
      DATABASE_SSL_MODE: 'require',
      ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
      ORDEROPS_ISSUER: 'https://orders.example.com',
    });
    running.push(api);
    expect(await api.exited).toBe(1);
    const line = oneJsonLine(api);
    expect(line).toMatchObject({ level: 'fatal', service: 'orderops', context: 'Startup' });
    expect(String(line.msg)).toMatch(
      /^OrderOps failed to start: invalid configuration \(.*ORDEROPS_MASTER_KEYS/,
    );
    const settings = (line.problems as { setting: string }[]).map((p) => p.setting);
    expect(settings).toEqual(expect.arrayContaining(['ORDEROPS_MASTER_KEYS', 'DATABASE_SSL_MODE']));
    expect(api.stderr()).not.toContain(dbPassword);
    expect(api.stderr()).not.toContain(adminPassword);
    expect(api.stdout()).toBe('');
  });

  it('reports a failure while starting (database unreachable) as one JSON line, not Nest’s coloured text', async () => {
    const dbPassword = `pw-${randomBytes(6).toString('hex')}`;
    const api = await spawnApi({
      NODE_ENV: 'production',
      ORDEROPS_DATA_DIR: dataDir(),
      DATABASE_URL: `postgres://orderops:${dbPassword}@127.0.0.1:1/orderops`,
      DATABASE_SSL_MODE: 'disable',
      ORDEROPS_ALLOW_INSECURE_DB_TLS: 'true',
      ORDEROPS_ISSUER: 'https://orders.example.com',
      ORDEROPS_MASTER_KEYS: `v1:${randomBytes(32).toString('base64')}`,
      ORDEROPS_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
    });
    running.push(api);
    expect(await api.exited).toBe(1);
    const line = oneJsonLine(api);
    expect(line).toMatchObject({ level: 'fatal', context: 'Startup' });
    expect(String(line.msg)).toContain('OrderOps failed to start: connect ECONNREFUSED');
    expect(api.stderr() + api.stdout()).not.toContain(dbPassword);
    expect(api.stderr()).not.toContain('[Nest]');
  });

  it('refuses an unknown LOG_FORMAT the same way', async () => {
    const api = await spawnApi({ ORDEROPS_DATA_DIR: dataDir(), LOG_FORMAT: 'colourful' });
    running.push(api);
    expect(await api.exited).toBe(1);
    expect(oneJsonLine(api)).toMatchObject({
      problems: [{ setting: 'LOG_FORMAT', problem: 'must be json or pretty' }],
    });
  });

  it('logs the listening URL, the /docs URL and the metrics URL once it serves', async () => {
    const api = await startApi({ ORDEROPS_DATA_DIR: dataDir() });
    running.push(api);
    const line = JSON.parse(
      await lineOf(
        () => api.stdout(),
        (l) => l.includes('"context":"Startup"'),
      ),
    ) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'info',
      url: api.url,
      docsUrl: `${api.url}/docs`,
      metricsUrl: api.metricsUrl,
      msg: `OrderOps listening on ${api.url}; API docs at ${api.url}/docs; metrics at ${api.metricsUrl}`,
    });
    expect((await fetch(String(line.docsUrl))).status).toBe(200);
    expect((await fetch(String(line.metricsUrl))).status).toBe(200);
  });

  it('names no /docs or metrics URL when those are off, and renders readable lines with LOG_FORMAT=pretty', async () => {
    const api = await startApi({
      ORDEROPS_DATA_DIR: dataDir(),
      DOCS_ENABLED: 'false',
      METRICS_ENABLED: 'false',
      LOG_FORMAT: 'pretty',
    });
    running.push(api);
    const line = await lineOf(
      () => api.stdout(),
      (l) => l.includes('[Startup]'),
    );
    expect(line).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}\[Startup\] OrderOps listening on http:\/\/127\.0\.0\.1:\d+$/,
    );
    expect(line).not.toContain('/docs');
    expect(line).not.toContain('metrics');
    expect(api.stdout()).not.toMatch(ANSI);
    expect(api.stdout().trimStart()).not.toMatch(/^\{/);
  });
});
