import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ConfigError, loadConfig, type AppConfig } from '@orderops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interpolate, parseCompose, type ComposeFile } from './support/compose-policy.js';
import { REPO_ROOT } from './support/helm.js';
import { runCli, spawnApi, startApi, type RunningProcess } from '../support/processes.js';

/**
 * Each profile's API environment, as compose hands it to the container (defaults
 * interpolated, secrets and binds resolved to the files scripts/compose-certs.mjs writes),
 * goes through the app's own configuration validation. No container engine is needed.
 */

const COMPOSE: ComposeFile = parseCompose(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'));

let out: string;
let dataDir: string;

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'orderops-compose-config-'));
  dataDir = mkdtempSync(join(tmpdir(), 'orderops-compose-data-'));
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'compose-certs.mjs'), '--out', out]);
});

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

/** The environment a service's container gets, with container paths mapped to the generated files. */
function containerEnv(name: string, shell: Record<string, string> = {}): Record<string, string> {
  const service = COMPOSE.services[name];
  const mounts = new Map<string, string>();
  for (const secret of service.secrets ?? []) {
    const id = typeof secret === 'string' ? secret : secret.source;
    mounts.set(`/run/secrets/${id}`, COMPOSE.secrets![id].file!);
  }
  for (const volume of service.volumes ?? []) {
    if (typeof volume !== 'string' && volume.type === 'bind') mounts.set(volume.target!, volume.source!);
  }
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(service.environment as Record<string, string>)) {
    env[key] = interpolate(String(value), shell);
    if (key.endsWith('_FILE')) {
      const source = mounts.get(env[key]);
      if (!source) throw new Error(`${name}: ${key} names ${env[key]}, which nothing mounts`);
      // compose-certs --out mirrors .compose/ (certs/, secrets/).
      env[key] = join(out, relative('.compose', source));
    }
  }
  // The container's /tmp, here a directory of the test's own.
  env.ORDEROPS_DATA_DIR = dataDir;
  return env;
}

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('the compose profiles pass the app configuration validation', () => {
  it('dev: production mode, /docs on, the laptop issuer http://localhost:3000, debug logs', () => {
    const config: AppConfig = loadConfig(containerEnv('api-dev'));
    expect(config.isProduction).toBe(true);
    expect(config.http.docsEnabled).toBe(true);
    expect(config.auth.issuer).toBe('http://localhost:3000');
    expect(config.logLevel).toBe('debug');
    expect(config.database.sslMode).toBe('verify-full');
    expect(config.database.sslCa).toContain('BEGIN CERTIFICATE');
  });

  it('production: /docs off, an https issuer (the default, or the one the shell sets)', () => {
    const config = loadConfig(containerEnv('api'));
    expect(config.http.docsEnabled).toBe(false);
    expect(config.auth.issuer).toBe('https://orderops.localhost');
    expect(config.logLevel).toBe('info');
    const set = loadConfig(containerEnv('api', { ORDEROPS_ISSUER: 'https://orders.example.com' }));
    expect(set.auth.issuer).toBe('https://orders.example.com');
  });

  it('the migration gets a valid configuration too', () => {
    expect(loadConfig(containerEnv('migrate')).database.migrateOnStart).toBe(false);
  });

  it('refuses the production profile pointed at a plain-http issuer that is not loopback', () => {
    const error = configError(containerEnv('api', { ORDEROPS_ISSUER: 'http://orders.example.com' }));
    expect(error.problems.map((p) => p.setting)).toEqual(['ORDEROPS_ISSUER']);
    expect(error.message).toContain('plain http only for localhost, 127.0.0.1 or [::1]');
  });

  it('refuses the dev environment with its issuer moved off loopback', () => {
    const env = { ...containerEnv('api-dev'), ORDEROPS_ISSUER: 'http://orderops.localhost:3000' };
    expect(configError(env).problems.map((p) => p.setting)).toEqual(['ORDEROPS_ISSUER']);
  });
});

describe("the dev profile's settings on the built API process", () => {
  const running: RunningProcess[] = [];
  afterAll(() => {
    for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  });

  /**
   * The dev API's own settings (production mode, issuer, docs, log level) from compose, with
   * the embedded database and inline secrets standing in for PostgreSQL and the compose
   * secrets, which need a container engine.
   */
  function devSettings(): Record<string, string> {
    const env = containerEnv('api-dev');
    const settings: Record<string, string> = {};
    for (const key of ['NODE_ENV', 'ORDEROPS_ISSUER', 'DOCS_ENABLED', 'LOG_LEVEL']) settings[key] = env[key];
    return {
      ...settings,
      ORDEROPS_DATA_DIR: mkdtempSync(join(tmpdir(), 'orderops-compose-dev-')),
      ORDEROPS_ALLOW_EMBEDDED_DB: 'true',
      ORDEROPS_MASTER_KEYS: `v1:${randomBytes(32).toString('base64')}`,
      ORDEROPS_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
      ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: `dev-${randomBytes(12).toString('hex')}`,
    };
  }

  it('serves /docs and issues tokens whose iss is http://localhost:3000', async () => {
    const env = devSettings();
    try {
      // As compose runs it: the one-shot migration first, then the API.
      const migrated = runCli(['migrate'], env);
      expect(migrated.status, migrated.stderr).toBe(0);
      const api = await startApi(env);
      running.push(api);
      const docs = await fetch(`${api.url}/docs`);
      expect(docs.status).toBe(200);
      expect(docs.headers.get('content-type')).toContain('text/html');
      const metadata = (await (await fetch(`${api.url}/.well-known/oauth-authorization-server`)).json()) as {
        issuer: string;
      };
      expect(metadata.issuer).toBe('http://localhost:3000');
      // A production start: the legacy password grant is off, so a partner client proves the issuer.
      const refused = await fetch(`${api.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'password',
          client_id: 'orderops-web',
          username: 'admin',
          password: env.ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD,
          scope: 'orders:read',
        }),
      });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: string }).error).toBe('unsupported_grant_type');
      const created = runCli(['clients', 'create', 'Compose check', '--scopes', 'orders:read'], env);
      expect(created.status, created.stderr).toBe(0);
      const clientId = /client_id=(\S+)/.exec(created.stdout)![1];
      const clientSecret = /client_secret=(\S+)/.exec(created.stdout)![1];
      const token = await fetch(`${api.url}/oauth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      expect(token.status).toBe(200);
      const { access_token: accessToken } = (await token.json()) as { access_token: string };
      const payload = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as {
        iss: string;
      };
      expect(payload.iss).toBe('http://localhost:3000');
      api.child.kill('SIGTERM');
      expect(await api.exited).toBe(0);
    } finally {
      rmSync(env.ORDEROPS_DATA_DIR, { recursive: true, force: true });
    }
  });

  it('refuses to start with the issuer moved to a plain-http host that is not loopback', async () => {
    const env: Record<string, string> = {
      ...devSettings(),
      ORDEROPS_ISSUER: 'http://orderops.localhost:3000',
    };
    try {
      const api = await spawnApi(env);
      running.push(api);
      expect(await api.exited).toBe(1);
      expect(api.stderr()).toContain('ORDEROPS_ISSUER');
      expect(api.stderr()).toContain('plain http only for localhost, 127.0.0.1 or [::1]');
    } finally {
      rmSync(env.ORDEROPS_DATA_DIR, { recursive: true, force: true });
    }
  });
});
