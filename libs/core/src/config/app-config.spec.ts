import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './app-config.js';
import { ConfigError } from './config.errors.js';

const key = (): string => randomBytes(32).toString('base64');
const MASTER = `v2:${key()},v1:${key()}`;
const STRONG_PASSWORD = 'correct-horse-battery-staple-42';
const DB_PASSWORD = 'db-pass-f1a9c3e7b5d2';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'orderops-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A production environment that passes; each refusal case breaks one thing in it. */
const production = (): Record<string, string> => ({
  NODE_ENV: 'production',
  ORDEROPS_DATA_DIR: dir,
  DATABASE_URL: `postgres://orderops:${DB_PASSWORD}@db.internal:5432/orderops`,
  DATABASE_SSL_MODE: 'verify-full',
  ORDEROPS_MASTER_KEYS: MASTER,
  ORDEROPS_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
  ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: STRONG_PASSWORD,
  ORDEROPS_ISSUER: 'https://orders.example.com',
});

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to refuse this environment');
}

const settingsOf = (error: ConfigError): string[] => error.problems.map((p) => p.setting);

describe('loadConfig', () => {
  it('builds the defaults of the issue in development', () => {
    const config = loadConfig({ ORDEROPS_DATA_DIR: dir });
    expect(config.nodeEnv).toBe('development');
    expect(config.http.port).toBe(3000);
    expect(config.http.trustProxyHops).toBe(0);
    expect(config.http.bodyLimitBytes).toBe(100 * 1024);
    expect(config.http.docsEnabled).toBe(true);
    expect(config.auth.accessTokenTtlSeconds).toBe(600);
    expect(config.database.url).toBeUndefined();
    expect(config.database.migrateOnStart).toBe(true);
    expect(config.dataDir).toBe(dir);
    expect(config.importMaxBytes).toBe(50 * 1024 * 1024);
    expect(config.importMaxConcurrent).toBe(2);
    expect(config.importMaxConcurrentPerPrincipal).toBe(1);
    expect(config.importIdleTimeoutMs).toBe(30_000);
  });

  it('reads ORDEROPS_MFA_REQUIRED_SCOPES as a list; unset leaves the default to auth, none lists none', () => {
    expect(loadConfig({ ORDEROPS_DATA_DIR: dir }).auth.mfaRequiredScopes).toBeUndefined();
    expect(loadConfig(production()).auth.mfaRequiredScopes).toBeUndefined();
    expect(
      loadConfig({ ORDEROPS_DATA_DIR: dir, ORDEROPS_MFA_REQUIRED_SCOPES: ' admin , pii:reveal,admin' }).auth
        .mfaRequiredScopes,
    ).toEqual(['admin', 'pii:reveal']);
    expect(
      loadConfig({ ...production(), ORDEROPS_MFA_REQUIRED_SCOPES: 'none' }).auth.mfaRequiredScopes,
    ).toEqual([]);
  });

  it('reads IMPORT_MAX_BYTES', () => {
    expect(loadConfig({ ORDEROPS_DATA_DIR: dir, IMPORT_MAX_BYTES: '1048576' }).importMaxBytes).toBe(1048576);
  });

  it('reads the import concurrency caps and idle timeout', () => {
    const config = loadConfig({
      ORDEROPS_DATA_DIR: dir,
      IMPORT_MAX_CONCURRENT: '8',
      IMPORT_MAX_CONCURRENT_PER_PRINCIPAL: '3',
      IMPORT_IDLE_TIMEOUT_MS: '5000',
    });
    expect([
      config.importMaxConcurrent,
      config.importMaxConcurrentPerPrincipal,
      config.importIdleTimeoutMs,
    ]).toEqual([8, 3, 5000]);
  });

  it('reads HTTP_BODY_TIMEOUT_MS (default 20 s) within 1 s-10 min', () => {
    expect(loadConfig({ ORDEROPS_DATA_DIR: dir }).http.bodyTimeoutMs).toBe(20_000);
    expect(loadConfig({ ORDEROPS_DATA_DIR: dir, HTTP_BODY_TIMEOUT_MS: '5000' }).http.bodyTimeoutMs).toBe(
      5000,
    );
    for (const value of ['999', '600001', 'soon']) {
      expect(settingsOf(configError({ ORDEROPS_DATA_DIR: dir, HTTP_BODY_TIMEOUT_MS: value }))).toContain(
        'HTTP_BODY_TIMEOUT_MS',
      );
    }
  });

  it('serves metrics by default on port 9464; METRICS_ENABLED and METRICS_PORT change that', () => {
    expect(loadConfig({ ORDEROPS_DATA_DIR: dir }).metrics).toEqual({ enabled: true, port: 9464 });
    expect(
      loadConfig({ ORDEROPS_DATA_DIR: dir, METRICS_ENABLED: 'false', METRICS_PORT: '9100' }).metrics,
    ).toEqual({ enabled: false, port: 9100 });
    for (const value of ['0', '65536', 'nine']) {
      expect(settingsOf(configError({ ORDEROPS_DATA_DIR: dir, METRICS_PORT: value }))).toEqual([
        'METRICS_PORT',
      ]);
    }
    expect(settingsOf(configError({ ORDEROPS_DATA_DIR: dir, METRICS_ENABLED: 'maybe' }))).toEqual([
      'METRICS_ENABLED',
    ]);
  });

  it('traces only once an OTLP endpoint is named, and not when OTEL_SDK_DISABLED is true', () => {
    expect(loadConfig({ ORDEROPS_DATA_DIR: dir }).tracing).toEqual({ enabled: false });
    const endpoint = 'http://otel-collector:4318';
    expect(loadConfig({ ORDEROPS_DATA_DIR: dir, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }).tracing).toEqual({
      enabled: true,
    });
    expect(
      loadConfig({ ORDEROPS_DATA_DIR: dir, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces` })
        .tracing.enabled,
    ).toBe(true);
    expect(
      loadConfig({ ORDEROPS_DATA_DIR: dir, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SDK_DISABLED: 'true' })
        .tracing.enabled,
    ).toBe(false);
  });

  it('refuses an OTLP endpoint that is no http(s) URL or carries credentials, without echoing it', () => {
    for (const value of ['otel-collector:4318', 'ftp://collector', 'https://user:s3cr3t@collector:4318']) {
      const error = configError({ ORDEROPS_DATA_DIR: dir, OTEL_EXPORTER_OTLP_ENDPOINT: value });
      expect(settingsOf(error)).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT']);
      expect(JSON.stringify(error.problems)).not.toContain('s3cr3t');
    }
  });

  it('refuses METRICS_PORT equal to PORT unless metrics are off', () => {
    const error = configError({ ORDEROPS_DATA_DIR: dir, PORT: '9464' });
    expect(error.problems).toEqual([
      { setting: 'METRICS_PORT', problem: expect.stringContaining('must differ from PORT') as unknown },
    ]);
    expect(
      loadConfig({ ORDEROPS_DATA_DIR: dir, PORT: '9464', METRICS_ENABLED: 'false' }).metrics.enabled,
    ).toBe(false);
  });

  it('accepts a complete production environment', () => {
    const config = loadConfig(production());
    expect(config.isProduction).toBe(true);
    expect(config.http.docsEnabled).toBe(false);
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.database.migrateOnStart).toBe(false);
    expect(config.masterKeys.reveal().current.version).toBe(2);
    expect(config.masterKeys.reveal().versions).toEqual([2, 1]);
  });

  describe('production refusals', () => {
    const cases: [string, (env: Record<string, string>) => void, string][] = [
      ['missing master keys', (e) => delete e.ORDEROPS_MASTER_KEYS, 'ORDEROPS_MASTER_KEYS'],
      ['a missing blind-index key', (e) => delete e.ORDEROPS_BLIND_INDEX_KEY, 'ORDEROPS_BLIND_INDEX_KEY'],
      [
        'a short blind-index key',
        (e) => (e.ORDEROPS_BLIND_INDEX_KEY = randomBytes(16).toString('base64')),
        'ORDEROPS_BLIND_INDEX_KEY',
      ],
      [
        'a short master key',
        (e) => (e.ORDEROPS_MASTER_KEYS = `v1:${randomBytes(16).toString('base64')}`),
        'ORDEROPS_MASTER_KEYS',
      ],
      [
        'a placeholder master key',
        (e) => (e.ORDEROPS_MASTER_KEYS = `v1:${Buffer.alloc(32).toString('base64')}`),
        'ORDEROPS_MASTER_KEYS',
      ],
      [
        'a short bootstrap password',
        (e) => (e.ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD = 'short-pw'),
        'ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD',
      ],
      [
        'a default bootstrap password',
        (e) => (e.ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD = 'Password123'),
        'ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD',
      ],
      ['the embedded database', (e) => delete e.DATABASE_URL, 'DATABASE_URL'],
      [
        'a default database password',
        (e) => (e.DATABASE_URL = 'postgres://postgres:postgres@db:5432/x'),
        'DATABASE_URL',
      ],
      ['DATABASE_SSL_MODE=require', (e) => (e.DATABASE_SSL_MODE = 'require'), 'DATABASE_SSL_MODE'],
      ['DATABASE_SSL_MODE=disable', (e) => (e.DATABASE_SSL_MODE = 'disable'), 'DATABASE_SSL_MODE'],
      ['a missing issuer', (e) => delete e.ORDEROPS_ISSUER, 'ORDEROPS_ISSUER'],
      ['an http issuer', (e) => (e.ORDEROPS_ISSUER = 'http://orders.example.com'), 'ORDEROPS_ISSUER'],
      [
        'an http issuer on a private address',
        (e) => (e.ORDEROPS_ISSUER = 'http://10.0.0.5:3000'),
        'ORDEROPS_ISSUER',
      ],
      [
        'an http issuer under .localhost (not every resolver maps it to loopback)',
        (e) => (e.ORDEROPS_ISSUER = 'http://orderops.localhost:3000'),
        'ORDEROPS_ISSUER',
      ],
      [
        'an http issuer whose host only starts like loopback',
        (e) => (e.ORDEROPS_ISSUER = 'http://localhost.example.com'),
        'ORDEROPS_ISSUER',
      ],
      [
        'an http issuer on a name that embeds 127.0.0.1',
        (e) => (e.ORDEROPS_ISSUER = 'http://127.0.0.1.nip.io:3000'),
        'ORDEROPS_ISSUER',
      ],
    ];

    it.each(cases)('refuses %s and names the setting without printing any value', (_, breakIt, setting) => {
      const env = production();
      breakIt(env);
      const error = configError(env);
      expect(settingsOf(error)).toContain(setting);
      expect(error.message).toContain(setting);
      for (const value of Object.values(env)) {
        if (value.length >= 8 && !['production', 'verify-full'].includes(value) && value !== dir) {
          expect(error.message).not.toContain(value);
        }
      }
      for (const secret of [DB_PASSWORD, STRONG_PASSWORD, 'short-pw', 'Password123', 'postgres:postgres']) {
        expect(error.message).not.toContain(secret);
      }
    });

    it.each([
      'http://localhost:3000',
      'http://LOCALHOST:3000/',
      'http://127.0.0.1:3000',
      'http://127.1.2.3',
      'http://[::1]:3000',
    ])('allows the plain-http issuer %s: a loopback host, reached only from this machine', (issuer) => {
      const config = loadConfig({ ...production(), ORDEROPS_ISSUER: issuer });
      expect(config.auth.issuer).toBe(issuer.replace(/\/+$/, ''));
    });

    it('says why an http issuer is refused and what is allowed', () => {
      const error = configError({ ...production(), ORDEROPS_ISSUER: 'http://orders.example.com' });
      expect(error.message).toContain('plain http only for localhost, 127.0.0.1 or [::1]');
    });

    it('lists every bad setting at once', () => {
      const env = production();
      delete env.ORDEROPS_MASTER_KEYS;
      env.DATABASE_SSL_MODE = 'require';
      env.ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD = 'tiny';
      expect(settingsOf(configError(env)).sort()).toEqual(
        ['DATABASE_SSL_MODE', 'ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD', 'ORDEROPS_MASTER_KEYS'].sort(),
      );
    });

    it('allows the embedded database only with ORDEROPS_ALLOW_EMBEDDED_DB=true', () => {
      const env = production();
      delete env.DATABASE_URL;
      expect(loadConfig({ ...env, ORDEROPS_ALLOW_EMBEDDED_DB: 'true' }).database.url).toBeUndefined();
      expect(settingsOf(configError({ ...env, ORDEROPS_ALLOW_EMBEDDED_DB: 'false' }))).toContain(
        'DATABASE_URL',
      );
    });

    it('allows unverified TLS only with ORDEROPS_ALLOW_INSECURE_DB_TLS=true', () => {
      const env = { ...production(), DATABASE_SSL_MODE: 'require' };
      expect(loadConfig({ ...env, ORDEROPS_ALLOW_INSECURE_DB_TLS: 'true' }).database.sslMode).toBe('require');
    });

    it('never generates secrets in production', () => {
      const env = production();
      delete env.ORDEROPS_MASTER_KEYS;
      configError(env);
      expect(() => statSync(join(dir, 'secrets'))).toThrow();
    });
  });

  describe('secrets from NAME_FILE', () => {
    it('reads each secret from the file its _FILE setting names, dropping one trailing newline', () => {
      const env = production();
      for (const name of ['ORDEROPS_MASTER_KEYS', 'ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD', 'DATABASE_URL']) {
        writeFileSync(join(dir, name), `${env[name]}\n`);
        env[`${name}_FILE`] = join(dir, name);
        delete env[name];
      }
      const config = loadConfig(env);
      expect(config.masterKeys.reveal().versions).toEqual([2, 1]);
      expect(config.auth.bootstrapAdminPassword?.reveal()).toBe(STRONG_PASSWORD);
      expect(config.database.url?.reveal()).toContain(DB_PASSWORD);
    });

    it('refuses NAME and NAME_FILE together', () => {
      const env = { ...production(), ORDEROPS_MASTER_KEYS_FILE: join(dir, 'x') };
      expect(configError(env).problems).toContainEqual(
        expect.objectContaining({ setting: 'ORDEROPS_MASTER_KEYS' }) as unknown,
      );
    });

    it('reports an unreadable file by its setting name, not its contents', () => {
      const env = production();
      delete env.ORDEROPS_MASTER_KEYS;
      env.ORDEROPS_MASTER_KEYS_FILE = join(dir, 'does-not-exist');
      const error = configError(env);
      expect(settingsOf(error)).toContain('ORDEROPS_MASTER_KEYS_FILE');
      expect(error.message).toContain('ENOENT');
    });

    it('reads the database CA from DATABASE_SSL_CA_FILE and rejects a non-PEM value', () => {
      writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      expect(
        loadConfig({ ...production(), DATABASE_SSL_CA_FILE: join(dir, 'ca.pem') }).database.sslCa,
      ).toContain('BEGIN CERTIFICATE');
      expect(settingsOf(configError({ ...production(), DATABASE_SSL_CA: 'not a certificate' }))).toContain(
        'DATABASE_SSL_CA',
      );
    });
  });

  describe('generated development secrets', () => {
    it('creates each missing secret once, mode 0600 in a 0700 directory, and reuses it', () => {
      const first = loadConfig({ ORDEROPS_DATA_DIR: dir });
      const file = join(dir, 'secrets', 'ORDEROPS_MASTER_KEYS');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'secrets')).mode & 0o777).toBe(0o700);
      expect(readFileSync(file, 'utf8')).toMatch(/^v1:[A-Za-z0-9+/]{43}=\n$/);

      const second = loadConfig({ ORDEROPS_DATA_DIR: dir });
      expect(second.masterKeys.reveal().current.key.equals(first.masterKeys.reveal().current.key)).toBe(true);
    });

    it('prefers a configured secret over generating one', () => {
      const config = loadConfig({ ORDEROPS_DATA_DIR: dir, ORDEROPS_MASTER_KEYS: MASTER });
      expect(config.masterKeys.reveal().versions).toEqual([2, 1]);
      expect(() => statSync(join(dir, 'secrets', 'ORDEROPS_MASTER_KEYS'))).toThrow();
    });
  });

  describe('settings validation', () => {
    it.each([
      ['PORT', '0'],
      ['ORDEROPS_MFA_REQUIRED_SCOPES', 'admin,,pii:reveal'],
      ['ORDEROPS_MFA_REQUIRED_SCOPES', 'Admin'],
      ['ORDEROPS_MFA_REQUIRED_SCOPES', 'admin pii:reveal'],
      ['PORT', 'http'],
      ['TRUST_PROXY', 'true'],
      ['TRUST_PROXY', '11'],
      ['ACCESS_TOKEN_TTL_SECONDS', '3601'],
      ['DATABASE_SSL_MODE', 'prefer'],
      ['LOG_LEVEL', 'verbose'],
      ['DOCS_ENABLED', 'yes please'],
      ['CORS_ORIGINS', '*'],
      ['CORS_ORIGINS', 'null'],
      ['CORS_ORIGINS', 'https://app.example.com/path'],
      ['DATABASE_URL', 'mysql://db/x'],
      ['DATABASE_URL', 'postgres://u:p@db/x?sslmode=disable'],
      ['DATABASE_URL', 'postgres://u:p@db/x?statement_timeout=0'],
      ['DATABASE_URL', 'postgres://u:p@db/x?options=-c%20lock_timeout%3D0'],
      ['DATABASE_STATEMENT_TIMEOUT_MS', '0'],
      ['DATABASE_LOCK_TIMEOUT_MS', '0'],
      ['DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', '0'],
      ['DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', '3600001'],
      ['DATABASE_POOL_ACQUIRE_TIMEOUT_MS', '0'],
      ['DATABASE_KEEPALIVE_IDLE_MS', '999'],
      ['REDIS_URL', 'http://cache:6379'],
      ['REFRESH_TOKEN_IDLE_SECONDS', '9999999'],
      ['IMPORT_MAX_BYTES', '1023'],
      ['IMPORT_MAX_BYTES', '1073741825'],
      ['IMPORT_MAX_BYTES', '50MiB'],
      ['IMPORT_MAX_CONCURRENT', '0'],
      ['IMPORT_MAX_CONCURRENT', '101'],
      ['IMPORT_MAX_CONCURRENT_PER_PRINCIPAL', '0'],
      ['IMPORT_MAX_CONCURRENT_PER_PRINCIPAL', '3'],
      ['IMPORT_IDLE_TIMEOUT_MS', '999'],
      ['IMPORT_IDLE_TIMEOUT_MS', '600001'],
      ['RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE', '0'],
      ['RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE', '100001'],
      ['REDIS_KEY_PREFIX', 'orderops prod:'],
      ['REDIS_KEY_PREFIX', 'x'.repeat(65)],
      // Development too: plain http only on a loopback host.
      ['ORDEROPS_ISSUER', 'http://orders.example.com'],
      ['ORDEROPS_ISSUER', 'http://192.168.1.20:3000'],
      ['ORDEROPS_ISSUER', 'ftp://localhost'],
      ['ORDEROPS_ISSUER', 'http://localhost:3000/?x=1'],
      ['ORDEROPS_ISSUER', 'not a url'],
      ['ORDEROPS_WEB_REDIRECT_URIS', 'http://app.example.com/callback'],
      ['ORDEROPS_WEB_REDIRECT_URIS', 'https://app.example.com/callback#x'],
      ['ORDEROPS_WEB_REDIRECT_URIS', 'https://app.example.com/ok,/relative'],
      ['ORDEROPS_WEB_REDIRECT_URIS', 'https://App.example.com/callback'],
    ])('refuses %s=%s', (name, value) => {
      expect(settingsOf(configError({ ORDEROPS_DATA_DIR: dir, [name]: value }))).toContain(name);
    });

    it('allows a loopback http issuer and any https issuer in development', () => {
      expect(loadConfig({ ORDEROPS_DATA_DIR: dir }).auth.issuer).toBe('http://localhost:3000');
      for (const issuer of ['http://127.0.0.1:3000', 'https://orders.example.com', 'https://10.0.0.5']) {
        expect(loadConfig({ ORDEROPS_DATA_DIR: dir, ORDEROPS_ISSUER: issuer }).auth.issuer).toBe(issuer);
      }
    });

    it('bounds every database session and pool wait by default', () => {
      const { database } = loadConfig({ ORDEROPS_DATA_DIR: dir });
      expect(database).toMatchObject({
        statementTimeoutMs: 30_000,
        lockTimeoutMs: 10_000,
        idleInTransactionTimeoutMs: 15_000,
        poolAcquireTimeoutMs: 5_000,
        keepAliveIdleMs: 30_000,
      });
    });

    it('reads the rate limits and the Redis key prefix; the per-principal limit follows the per-address one', () => {
      const defaults = loadConfig({ ORDEROPS_DATA_DIR: dir, RATE_LIMIT_PER_MINUTE: '42' });
      expect(defaults.http.rateLimitPerPrincipalPerMinute).toBe(42);
      expect(defaults.redisKeyPrefix).toBe('orderops:');
      const set = loadConfig({
        ORDEROPS_DATA_DIR: dir,
        RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE: '900',
        REDIS_KEY_PREFIX: 'orderops-staging:',
      });
      expect(set.http.rateLimitPerPrincipalPerMinute).toBe(900);
      expect(set.redisKeyPrefix).toBe('orderops-staging:');
    });

    it('reads the web app redirect URIs as exact strings, none by default', () => {
      expect(loadConfig({ ORDEROPS_DATA_DIR: dir }).auth.webRedirectUris).toEqual([]);
      const config = loadConfig({
        ORDEROPS_DATA_DIR: dir,
        ORDEROPS_WEB_REDIRECT_URIS: 'https://app.example.com/callback, http://localhost:5173/callback',
      });
      expect(config.auth.webRedirectUris).toEqual([
        'https://app.example.com/callback',
        'http://localhost:5173/callback',
      ]);
    });

    it('accepts a list of exact CORS origins', () => {
      const config = loadConfig({
        ORDEROPS_DATA_DIR: dir,
        CORS_ORIGINS: 'https://a.example.com, http://localhost:5173',
      });
      expect(config.http.corsOrigins).toEqual(['https://a.example.com', 'http://localhost:5173']);
    });

    it('refuses an idle refresh lifetime longer than the absolute one', () => {
      const env = {
        ORDEROPS_DATA_DIR: dir,
        REFRESH_TOKEN_IDLE_SECONDS: '7200',
        REFRESH_TOKEN_MAX_LIFETIME_SECONDS: '3600',
      };
      expect(settingsOf(configError(env))).toContain('REFRESH_TOKEN_IDLE_SECONDS');
    });
  });

  it('never shows a secret through JSON, string coercion or util.inspect', () => {
    const config = loadConfig(production());
    const rendered = [
      JSON.stringify(config),
      String(config.database.url),
      inspect(config, { depth: 10 }),
    ].join('\n');
    expect(rendered).not.toContain(DB_PASSWORD);
    expect(rendered).not.toContain(STRONG_PASSWORD);
    for (const k of config.masterKeys.reveal().keys) expect(rendered).not.toContain(k.key.toString('base64'));
  });
});
