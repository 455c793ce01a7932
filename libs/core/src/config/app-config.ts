import { resolve } from 'node:path';
import { ConfigError } from './config.errors.js';
import { loadOrCreateDevSecret } from './dev-secrets.js';
import { EnvReader, type Env } from './env-reader.js';
import { type MasterKeyRing, parseMasterKeys } from './master-keys.js';
import { Secret } from './secret.js';
import { isLoopbackHost, redirectUriViolation } from '../http/redirect-uri.js';

export const NODE_ENVS = ['development', 'test', 'production'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

export const DATABASE_SSL_MODES = ['disable', 'require', 'verify-full'] as const;
export type DatabaseSslMode = (typeof DATABASE_SSL_MODES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface DatabaseConfig {
  /** Absent: the embedded PGlite database in `dataDir`. */
  readonly url?: Secret;
  readonly sslMode: DatabaseSslMode;
  /** PEM bundle trusted for `verify-full`; absent means the system trust store. */
  readonly sslCa?: string;
  readonly poolSize: number;
  /** Development runs pending migrations at start; production uses `orderops migrate`. */
  readonly migrateOnStart: boolean;
  /** Server-side bound on one statement (PostgreSQL `statement_timeout`). */
  readonly statementTimeoutMs: number;
  /** Server-side bound on waiting for a lock (`lock_timeout`). */
  readonly lockTimeoutMs: number;
  /** The server ends a session left idle inside a transaction (and frees its locks) after this. */
  readonly idleInTransactionTimeoutMs: number;
  /** Longest wait for a pool connection, opening a new one included; then 503. */
  readonly poolAcquireTimeoutMs: number;
  /** Idle time before TCP keepalive probes start on a database connection. */
  readonly keepAliveIdleMs: number;
  /**
   * Callers starved this long while connections are lent out and none returns or gets an
   * answer: the pool is wedged and `/health/live` answers 503, so the orchestrator restarts.
   */
  readonly poolStallLivenessMs: number;
}

export interface HttpConfig {
  readonly port: number;
  readonly host: string;
  readonly corsOrigins: readonly string[];
  /** Number of reverse-proxy hops whose X-Forwarded-For entries are believed. */
  readonly trustProxyHops: number;
  readonly bodyLimitBytes: number;
  /** Deepest array/object nesting a JSON body may have (refused with 400 beyond). */
  readonly jsonMaxDepth: number;
  /** A request body must be received within this long (408 beyond); routes with @OwnBodyTimeout bound themselves. */
  readonly bodyTimeoutMs: number;
  readonly docsEnabled: boolean;
  /** Requests per client address per minute, across routes, that carry no accepted bearer token. */
  readonly rateLimitPerMinute: number;
  /** Requests per authenticated principal per minute, across routes. */
  readonly rateLimitPerPrincipalPerMinute: number;
  /** Requests per client address per minute on credential endpoints (@StrictRateLimit). */
  readonly strictRateLimitPerMinute: number;
}

export interface AuthConfig {
  readonly issuer: string;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenIdleSeconds: number;
  readonly refreshTokenMaxLifetimeSeconds: number;
  readonly passwordGrantEnabled: boolean;
  /** The redirect URIs of the first-party SPA `orderops-web` (exact strings). */
  readonly webRedirectUris: readonly string[];
  readonly bootstrapAdminPassword?: Secret;
  /**
   * `ORDEROPS_MFA_REQUIRED_SCOPES` as listed (names checked for shape only: core knows no
   * product scope). Undefined when unset: the auth lib applies its default for the mode and
   * checks every name against the scope map at boot.
   */
  readonly mfaRequiredScopes?: readonly string[];
}

export interface TracingConfig {
  /**
   * On when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set and
   * OTEL_SDK_DISABLED is not true. The SDK reads every other OTEL_* variable itself.
   */
  readonly enabled: boolean;
}

export interface MetricsConfig {
  /** Off: no collectors, no per-request hooks, nothing listens on `port`. */
  readonly enabled: boolean;
  /** Prometheus scrapes here, on the API's host; never on the public port. */
  readonly port: number;
}

/** The whole configuration, built and validated once at boot. */
export interface AppConfig {
  readonly nodeEnv: NodeEnv;
  readonly isProduction: boolean;
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  readonly http: HttpConfig;
  readonly database: DatabaseConfig;
  readonly auth: AuthConfig;
  readonly metrics: MetricsConfig;
  readonly tracing: TracingConfig;
  readonly masterKeys: Secret<MasterKeyRing>;
  /** HMAC key of the personal-data blind indexes; its own key, so master-key rotation leaves lookups intact. */
  readonly blindIndexKey: Secret<Buffer>;
  /** ISO 4217 code used when an imported row names no currency. */
  readonly defaultCurrency: string;
  /** Largest order file an import accepts (bytes); the JSON body limit does not apply to it. */
  readonly importMaxBytes: number;
  /** Imports running at once in this process, and per principal (429 beyond). */
  readonly importMaxConcurrent: number;
  readonly importMaxConcurrentPerPrincipal: number;
  /** An upload that delivers no byte for this long is abandoned (408). */
  readonly importIdleTimeoutMs: number;
  readonly redisUrl?: Secret;
  /** Starts every Redis key, so deployments can share one Redis. */
  readonly redisKeyPrefix: string;
}

export const MIN_SECRET_PASSWORD_LENGTH = 12;
export const BODY_LIMIT_BYTES = 100 * 1024;
/** No request DTO nests beyond 4 levels; 32 leaves room and keeps recursive walkers far from the stack limit. */
export const JSON_MAX_DEPTH = 32;
export const IMPORT_MAX_BYTES_DEFAULT = 50 * 1024 * 1024;
export const IMPORT_MAX_CONCURRENT_DEFAULT = 2;
export const IMPORT_IDLE_TIMEOUT_MS_DEFAULT = 30_000;
/** The port OpenTelemetry's Prometheus exporter uses, so scrape configs can keep their default. */
export const METRICS_PORT_DEFAULT = 9464;

/** Values seen in examples and tutorials; a production secret equal to one is refused. */
const KNOWN_DEFAULT_SECRETS = new Set([
  'changeme',
  'change-me',
  'change_me',
  'password',
  'password123',
  'postgres',
  'admin',
  'administrator',
  'secret',
  'orderops',
  'letmein',
  'example',
  'replace-me',
  'replaceme',
  'default',
]);

function isKnownDefault(value: string): boolean {
  return KNOWN_DEFAULT_SECRETS.has(value.trim().toLowerCase());
}

/** Upper bound of the database time limits: a longer wait is a hang by another name. */
const HOUR_MS = 3_600_000;

/** Query parameters that would let a URL silently override DATABASE_SSL_MODE in `pg`. */
const SSL_URL_PARAMS = ['ssl', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslcrl', 'uselibpqcompat'];
/** ...and the ones that would silently lift the session time limits (DATABASE_*_TIMEOUT_MS). */
const LIMIT_URL_PARAMS = [
  'options',
  'statement_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
  'query_timeout',
  'connect_timeout',
  'keepalives',
  'keepalives_idle',
];

function readDatabaseUrl(reader: EnvReader, isProduction: boolean): Secret | undefined {
  const raw = reader.fileOrString('DATABASE_URL');
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    reader.fail('DATABASE_URL', 'is not a valid URL');
    return undefined;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    reader.fail('DATABASE_URL', 'must use the postgres:// scheme');
    return undefined;
  }
  const sslParams = SSL_URL_PARAMS.filter((p) => url.searchParams.has(p));
  if (sslParams.length > 0) {
    reader.fail(
      'DATABASE_URL',
      `must not carry ${sslParams.join(', ')}; use DATABASE_SSL_MODE/DATABASE_SSL_CA`,
    );
    return undefined;
  }
  const limitParams = LIMIT_URL_PARAMS.filter((p) => url.searchParams.has(p));
  if (limitParams.length > 0) {
    reader.fail(
      'DATABASE_URL',
      `must not carry ${limitParams.join(', ')}; use the DATABASE_*_TIMEOUT_MS settings`,
    );
    return undefined;
  }
  if (isProduction && url.password !== '' && isKnownDefault(decodeURIComponent(url.password))) {
    reader.fail('DATABASE_URL', 'contains a default password');
  }
  return new Secret(raw);
}

/** The OTLP endpoints the trace exporter may use; their other settings are the SDK's. */
const OTLP_ENDPOINT_SETTINGS = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] as const;

/**
 * Tracing is on once an OTLP endpoint is named. Each must be an http(s) URL without
 * credentials: a collector's token belongs in OTEL_EXPORTER_OTLP_HEADERS, not in a URL.
 */
function readTracing(reader: EnvReader): TracingConfig {
  let named = false;
  for (const setting of OTLP_ENDPOINT_SETTINGS) {
    const raw = reader.string(setting);
    if (raw === undefined) continue;
    named = true;
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      reader.fail(setting, 'must be an http:// or https:// URL such as http://otel-collector:4318');
    } else if (url.username !== '' || url.password !== '') {
      reader.fail(setting, 'must not carry credentials; put them in OTEL_EXPORTER_OTLP_HEADERS');
    }
  }
  return { enabled: named && !reader.boolean('OTEL_SDK_DISABLED', false) };
}

function readCorsOrigins(reader: EnvReader): string[] {
  const raw = reader.string('CORS_ORIGINS');
  if (raw === undefined) return [];
  const origins: string[] = [];
  for (const entry of raw.split(',').map((e) => e.trim())) {
    if (entry === '') continue;
    let origin: string | undefined;
    try {
      const url = new URL(entry);
      if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin === entry)
        origin = url.origin;
    } catch {
      origin = undefined;
    }
    if (origin === undefined) {
      // The entry itself is not secret, but keep the rule uniform: name the position.
      reader.fail(
        'CORS_ORIGINS',
        `entry ${origins.length + 1} must be an exact origin such as https://app.example.com`,
      );
      continue;
    }
    origins.push(origin);
  }
  return origins;
}

/** Comma-separated; each entry obeys the client registration rule (core's redirect-uri). */
function readWebRedirectUris(reader: EnvReader): string[] {
  const raw = reader.string('ORDEROPS_WEB_REDIRECT_URIS');
  if (raw === undefined) return [];
  const uris: string[] = [];
  const entries = raw.split(',').map((e) => e.trim());
  entries.forEach((entry, index) => {
    if (entry === '') return;
    const violation = redirectUriViolation(entry);
    // The position, not the value: the rule is uniform with the other list settings.
    if (violation) reader.fail('ORDEROPS_WEB_REDIRECT_URIS', `entry ${index + 1} ${violation}`);
    else if (!uris.includes(entry)) uris.push(entry);
  });
  return uris;
}

function readIssuer(reader: EnvReader, isProduction: boolean, port: number): string {
  const raw = reader.string('ORDEROPS_ISSUER');
  if (raw === undefined) {
    if (isProduction) reader.fail('ORDEROPS_ISSUER', 'is required in production');
    return `http://localhost:${port}`;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    reader.fail('ORDEROPS_ISSUER', 'must be an http(s) URL without query or fragment');
    return raw;
  }
  if (url.search !== '' || url.hash !== '' || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    reader.fail('ORDEROPS_ISSUER', 'must be an http(s) URL without query or fragment');
  } else if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    // Tokens and passwords would cross a network in clear; the same rule in every mode.
    reader.fail(
      'ORDEROPS_ISSUER',
      isProduction
        ? 'must be an https URL in production (plain http only for localhost, 127.0.0.1 or [::1])'
        : 'must be https unless its host is localhost, 127.0.0.1 or [::1]',
    );
  }
  return raw.replace(/\/+$/, '');
}

/** A secret that development may generate and production must be given; the caller validates it. */
function readGeneratableSecret(
  reader: EnvReader,
  name: string,
  context: { isProduction: boolean; dataDir: string },
): string | undefined {
  const value = reader.fileOrString(name);
  if (value !== undefined) return value;
  if (!context.isProduction) return loadOrCreateDevSecret(context.dataDir, name);
  reader.fail(name, 'is required in production');
  return undefined;
}

function readBootstrapPassword(reader: EnvReader): Secret | undefined {
  const name = 'ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD';
  // Optional: without it the first admin gets a random password (development) or none is
  // created and operators come from the CLI (production).
  const value = reader.fileOrString(name);
  if (value === undefined) return undefined;
  if (value.length < MIN_SECRET_PASSWORD_LENGTH) {
    reader.fail(name, `must be at least ${MIN_SECRET_PASSWORD_LENGTH} characters`);
  } else if (isKnownDefault(value)) {
    reader.fail(name, 'is a well-known default');
  }
  return new Secret(value);
}

/** Scope-shaped names: lower case, digits and `:_-`. `none` lists none (production's default is not empty). */
function readMfaRequiredScopes(reader: EnvReader): string[] | undefined {
  const name = 'ORDEROPS_MFA_REQUIRED_SCOPES';
  const raw = reader.string(name);
  if (raw === undefined) return undefined;
  if (raw.toLowerCase() === 'none') return [];
  const names = raw.split(',').map((entry) => entry.trim());
  const bad = names.findIndex((entry) => !/^[a-z][a-z0-9:_-]{0,63}$/.test(entry));
  if (bad >= 0) {
    reader.fail(name, `entry ${bad + 1} is not a scope name; list scopes separated by commas, or none`);
    return undefined;
  }
  return [...new Set(names)];
}

function readBlindIndexKey(
  reader: EnvReader,
  isProduction: boolean,
  dataDir: string,
): Secret<Buffer> | undefined {
  const name = 'ORDEROPS_BLIND_INDEX_KEY';
  const value = readGeneratableSecret(reader, name, { isProduction, dataDir });
  if (value === undefined) return undefined;
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(value) ? Buffer.from(value, 'base64') : Buffer.alloc(0);
  if (key.length < 32) {
    reader.fail(name, 'must be at least 32 bytes, base64-encoded');
    return undefined;
  }
  if (key.every((b) => b === key[0])) {
    reader.fail(name, 'is a placeholder (every byte the same)');
    return undefined;
  }
  return new Secret(key);
}

function readMasterKeys(
  reader: EnvReader,
  isProduction: boolean,
  dataDir: string,
): Secret<MasterKeyRing> | undefined {
  const value = readGeneratableSecret(reader, 'ORDEROPS_MASTER_KEYS', { isProduction, dataDir });
  if (value === undefined) return undefined;
  const { ring, problems } = parseMasterKeys(value);
  for (const problem of problems) reader.fail('ORDEROPS_MASTER_KEYS', problem);
  return ring ? new Secret(ring) : undefined;
}

/**
 * Builds the configuration from an environment. Throws one ConfigError listing every
 * problem. In development, missing secrets are generated once into the data directory.
 */
export function loadConfig(env: Env = process.env): AppConfig {
  const reader = new EnvReader(env);
  const nodeEnv = reader.oneOf('NODE_ENV', NODE_ENVS, 'development');
  const isProduction = nodeEnv === 'production';
  const dataDir = resolve(reader.string('ORDEROPS_DATA_DIR') ?? './.orderops');
  const port = reader.integer('PORT', 3000, 1, 65535);

  const url = readDatabaseUrl(reader, isProduction);
  const sslMode = reader.oneOf(
    'DATABASE_SSL_MODE',
    DATABASE_SSL_MODES,
    isProduction ? 'verify-full' : 'disable',
  );
  const sslCa = reader.fileOrString('DATABASE_SSL_CA');
  if (sslCa !== undefined && !sslCa.includes('-----BEGIN CERTIFICATE-----')) {
    reader.fail('DATABASE_SSL_CA', 'must be a PEM certificate bundle');
  }
  if (isProduction) {
    if (url === undefined && !reader.boolean('ORDEROPS_ALLOW_EMBEDDED_DB', false)) {
      reader.fail('DATABASE_URL', 'is required in production (or set ORDEROPS_ALLOW_EMBEDDED_DB=true)');
    }
    if (
      url !== undefined &&
      sslMode !== 'verify-full' &&
      !reader.boolean('ORDEROPS_ALLOW_INSECURE_DB_TLS', false)
    ) {
      reader.fail(
        'DATABASE_SSL_MODE',
        'must be verify-full in production (or set ORDEROPS_ALLOW_INSECURE_DB_TLS=true)',
      );
    }
  }

  const accessTokenTtlSeconds = reader.integer('ACCESS_TOKEN_TTL_SECONDS', 600, 60, 3600);
  const refreshTokenIdleSeconds = reader.integer(
    'REFRESH_TOKEN_IDLE_SECONDS',
    24 * 3600,
    300,
    90 * 24 * 3600,
  );
  const refreshTokenMaxLifetimeSeconds = reader.integer(
    'REFRESH_TOKEN_MAX_LIFETIME_SECONDS',
    30 * 24 * 3600,
    300,
    365 * 24 * 3600,
  );
  if (refreshTokenIdleSeconds > refreshTokenMaxLifetimeSeconds) {
    reader.fail('REFRESH_TOKEN_IDLE_SECONDS', 'must not exceed REFRESH_TOKEN_MAX_LIFETIME_SECONDS');
  }

  const redisUrl = reader.fileOrString('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    reader.fail('REDIS_URL', 'must use the redis:// or rediss:// scheme');
  }

  const rateLimitPerMinute = reader.integer('RATE_LIMIT_PER_MINUTE', 600, 1, 100_000);
  const redisKeyPrefix = reader.string('REDIS_KEY_PREFIX') ?? 'orderops:';
  if (!/^[A-Za-z0-9:_.-]{1,64}$/.test(redisKeyPrefix)) {
    reader.fail('REDIS_KEY_PREFIX', 'must be 1-64 characters of letters, digits and : _ . -');
  }

  const config = {
    nodeEnv,
    isProduction,
    dataDir,
    logLevel: reader.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    http: {
      port,
      host: reader.string('HOST') ?? (isProduction ? '0.0.0.0' : '127.0.0.1'),
      corsOrigins: readCorsOrigins(reader),
      trustProxyHops: reader.integer('TRUST_PROXY', 0, 0, 10),
      bodyLimitBytes: BODY_LIMIT_BYTES,
      jsonMaxDepth: JSON_MAX_DEPTH,
      bodyTimeoutMs: reader.integer('HTTP_BODY_TIMEOUT_MS', 20_000, 1_000, 600_000),
      docsEnabled: reader.boolean('DOCS_ENABLED', !isProduction),
      rateLimitPerMinute,
      rateLimitPerPrincipalPerMinute: reader.integer(
        'RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE',
        rateLimitPerMinute,
        1,
        100_000,
      ),
      strictRateLimitPerMinute: reader.integer('STRICT_RATE_LIMIT_PER_MINUTE', 20, 1, 100_000),
    },
    database: {
      url,
      sslMode,
      sslCa,
      poolSize: reader.integer('DATABASE_POOL_SIZE', 10, 1, 100),
      migrateOnStart: reader.boolean('DATABASE_MIGRATE_ON_START', !isProduction),
      // Zero (PostgreSQL's "never") is refused on purpose: no session may wait forever.
      statementTimeoutMs: reader.integer('DATABASE_STATEMENT_TIMEOUT_MS', 30_000, 100, HOUR_MS),
      lockTimeoutMs: reader.integer('DATABASE_LOCK_TIMEOUT_MS', 10_000, 100, HOUR_MS),
      idleInTransactionTimeoutMs: reader.integer(
        'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS',
        15_000,
        100,
        HOUR_MS,
      ),
      poolAcquireTimeoutMs: reader.integer('DATABASE_POOL_ACQUIRE_TIMEOUT_MS', 5_000, 100, 120_000),
      keepAliveIdleMs: reader.integer('DATABASE_KEEPALIVE_IDLE_MS', 30_000, 1_000, HOUR_MS),
      poolStallLivenessMs: reader.integer('DATABASE_POOL_STALL_LIVENESS_MS', 30_000, 1_000, HOUR_MS),
    },
    auth: {
      issuer: readIssuer(reader, isProduction, port),
      accessTokenTtlSeconds,
      refreshTokenIdleSeconds,
      refreshTokenMaxLifetimeSeconds,
      // Legacy (RFC 9700 §2.4 says it MUST NOT be used): off in production unless asked for.
      passwordGrantEnabled: reader.boolean('OAUTH_PASSWORD_GRANT', !isProduction),
      webRedirectUris: readWebRedirectUris(reader),
      bootstrapAdminPassword: readBootstrapPassword(reader),
      mfaRequiredScopes: readMfaRequiredScopes(reader),
    },
    metrics: {
      enabled: reader.boolean('METRICS_ENABLED', true),
      port: reader.integer('METRICS_PORT', METRICS_PORT_DEFAULT, 1, 65535),
    },
    tracing: readTracing(reader),
    masterKeys: readMasterKeys(reader, isProduction, dataDir),
    blindIndexKey: readBlindIndexKey(reader, isProduction, dataDir),
    defaultCurrency: reader.string('DEFAULT_CURRENCY')?.toUpperCase() ?? 'EUR',
    importMaxBytes: reader.integer('IMPORT_MAX_BYTES', IMPORT_MAX_BYTES_DEFAULT, 1024, 1024 * 1024 * 1024),
    importMaxConcurrent: reader.integer('IMPORT_MAX_CONCURRENT', IMPORT_MAX_CONCURRENT_DEFAULT, 1, 100),
    importMaxConcurrentPerPrincipal: reader.integer('IMPORT_MAX_CONCURRENT_PER_PRINCIPAL', 1, 1, 100),
    importIdleTimeoutMs: reader.integer(
      'IMPORT_IDLE_TIMEOUT_MS',
      IMPORT_IDLE_TIMEOUT_MS_DEFAULT,
      1000,
      600_000,
    ),
    redisUrl: redisUrl === undefined ? undefined : new Secret(redisUrl),
    redisKeyPrefix,
  };

  if (config.metrics.enabled && config.metrics.port === port) {
    reader.fail('METRICS_PORT', 'must differ from PORT: metrics are never served on the public port');
  }
  if (config.importMaxConcurrentPerPrincipal > config.importMaxConcurrent) {
    reader.fail('IMPORT_MAX_CONCURRENT_PER_PRINCIPAL', 'must not exceed IMPORT_MAX_CONCURRENT');
  }
  if (!/^[A-Z]{3}$/.test(config.defaultCurrency))
    reader.fail('DEFAULT_CURRENCY', 'must be an ISO 4217 code such as EUR');
  if (reader.problems.length > 0 || config.masterKeys === undefined || config.blindIndexKey === undefined) {
    throw new ConfigError(reader.problems);
  }
  return { ...config, masterKeys: config.masterKeys, blindIndexKey: config.blindIndexKey };
}
