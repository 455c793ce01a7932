import { parse } from 'yaml';
import { REQUIRED_SECRETS, isSecretName, looksLikeCredential } from './k8s-policy.js';

/** docker-compose.yml rules, checked on the parsed YAML (merge keys resolved). */
export const COMPOSE_RULES = {
  'COMPOSE-IMAGE-PINNED': 'every image has a tag other than latest (or a digest), or is built here',
  'COMPOSE-READ-ONLY': 'application containers have a read-only root filesystem',
  'COMPOSE-TMPFS': 'application containers get a tmpfs at /tmp',
  'COMPOSE-CAP-DROP':
    'every container drops ALL capabilities (the database adds back only what its entrypoint needs)',
  'COMPOSE-NO-NEW-PRIVILEGES': 'every container runs with no-new-privileges',
  'COMPOSE-USER': 'application containers run as a numeric non-root uid:gid (>= 10000)',
  'COMPOSE-NO-INLINE-SECRET': 'no secret in environment: secrets are compose secrets read through *_FILE',
  'COMPOSE-SECRETS':
    'secrets are files under a git-ignored directory, and each *_FILE names a secret the service mounts',
  'COMPOSE-REQUIRED-SECRETS':
    'application containers (the API and the migration) are given every secret production requires',
  'COMPOSE-DB-TLS':
    'PostgreSQL runs with ssl=on, certificate and key mounted read-only, and an hba_file that only allows TLS',
  'COMPOSE-DB-VERIFY-FULL':
    'application containers connect with DATABASE_SSL_MODE=verify-full and a mounted CA',
  'COMPOSE-HEALTHCHECK': 'long-running services have a healthcheck',
  'COMPOSE-DEPENDS-HEALTHY':
    'the API waits for a healthy database and a completed migration; the migration for a healthy database',
  'COMPOSE-MIGRATE-ONESHOT':
    'a one-shot service runs the CLI migrate command; the API does not migrate on start',
  'COMPOSE-PORTS-LOOPBACK': 'published ports bind to 127.0.0.1 only',
  'COMPOSE-PROFILES':
    'every service names its profiles; what a service depends on runs in each of its profiles; no two services of one profile publish the same port',
  'COMPOSE-ISSUER':
    "each API's ORDEROPS_ISSUER (defaults interpolated) is an https URL, or http on a loopback host (the app's own rule)",
} as const;

export type ComposeRuleId = keyof typeof COMPOSE_RULES;

export interface ComposeViolation {
  rule: ComposeRuleId;
  service: string;
  message: string;
}

export interface ComposeContext {
  /** Whether a repository path is git-ignored. */
  isGitIgnored: (path: string) => boolean;
  /** Reads a repository file, or undefined. */
  readRepoFile: (path: string) => string | undefined;
}

interface Mount {
  type?: string;
  source?: string;
  target?: string;
  read_only?: boolean;
}

interface Service {
  image?: string;
  build?: unknown;
  user?: string;
  read_only?: boolean;
  tmpfs?: string[] | string;
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  secrets?: (string | { source: string })[];
  volumes?: (string | Mount)[];
  command?: string[] | string;
  entrypoint?: string[] | string;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition?: string }> | string[];
  restart?: string;
  ports?: (string | { host_ip?: string; published?: string | number })[];
  profiles?: string[];
}

export interface ComposeFile {
  services: Record<string, Service>;
  secrets?: Record<string, { file?: string; environment?: string }>;
  [key: string]: unknown;
}

export function parseCompose(text: string): ComposeFile {
  return parse(text, { merge: true, uniqueKeys: true, strict: true }) as ComposeFile;
}

const MIGRATE_ARGV = ['dist/apps/cli/src/main.js', 'migrate'];

/**
 * Compose interpolation of `${NAME}`, `${NAME:-default}` and `${NAME-default}` against an
 * environment (empty: the defaults a fresh shell gets); `$$` is a literal `$`.
 */
export function interpolate(value: string, env: Record<string, string | undefined> = {}): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)-([^}]*))?\}/g,
    (_match, name: string | undefined, colon: string | undefined, fallback: string | undefined) => {
      if (name === undefined) return '$';
      const set = env[name];
      if (fallback === undefined) return set ?? '';
      const useFallback = colon === ':' ? !set : set === undefined;
      return useFallback ? fallback : (set ?? '');
    },
  );
}

/** The app's rule for ORDEROPS_ISSUER: https, or plain http only on a loopback host. */
export function issuerAllowed(issuer: string): boolean {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return false;
  }
  if (url.search !== '' || url.hash !== '') return false;
  const loopback =
    url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  return url.protocol === 'https:' || (url.protocol === 'http:' && loopback);
}

/** The host `ip:port` a published port binds (compose short or long syntax). */
function publishedAddress(port: string | { host_ip?: string; published?: string | number }): string {
  if (typeof port !== 'string') return `${port.host_ip ?? '0.0.0.0'}:${String(port.published)}`;
  const parts = port.split(':');
  return parts.length === 3 ? `${parts[0]}:${parts[1]}` : `0.0.0.0:${parts[0]}`;
}
const MIN_ID = 10000;

function list(value: string[] | string | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function envOf(service: Service): Map<string, string> {
  const env = new Map<string, string>();
  if (Array.isArray(service.environment)) {
    for (const entry of service.environment) {
      const [name, ...rest] = entry.split('=');
      env.set(name, rest.join('='));
    }
  } else {
    for (const [name, value] of Object.entries(service.environment ?? {}))
      env.set(name, value === null ? '' : String(value));
  }
  return env;
}

function mountsOf(service: Service): Mount[] {
  return (service.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return v;
    const [source, target, mode] = v.split(':');
    return {
      type: source.startsWith('.') || source.startsWith('/') ? 'bind' : 'volume',
      source,
      target,
      read_only: mode === 'ro',
    };
  });
}

function secretNamesOf(service: Service): string[] {
  return (service.secrets ?? []).map((s) => (typeof s === 'string' ? s : s.source));
}

/** Services built from this repository or running its image: the OrderOps containers. */
function isAppService(service: Service): boolean {
  return service.build !== undefined || /^orderops(:|$)/.test(service.image ?? '');
}

function isMigrateService(service: Service): boolean {
  const argv = list(service.command);
  return MIGRATE_ARGV.every((a) => argv.includes(a));
}

function isPostgres(service: Service): boolean {
  return /(^|\/)postgres(:|@|$)/.test(service.image ?? '');
}

function readOnlyBind(service: Service, target: string): Mount | undefined {
  return mountsOf(service).find((m) => m.target === target && m.read_only === true && m.type === 'bind');
}

/** `-c name=value` settings of a postgres command line. */
function postgresSettings(service: Service): Map<string, string> {
  const argv = list(service.command);
  const settings = new Map<string, string>();
  argv.forEach((arg, i) => {
    const setting = arg === '-c' ? argv[i + 1] : arg.startsWith('--') ? arg.slice(2) : undefined;
    if (setting?.includes('=')) {
      const [name, ...value] = setting.split('=');
      settings.set(name, value.join('='));
    }
  });
  return settings;
}

export function checkCompose(compose: ComposeFile, context: ComposeContext): ComposeViolation[] {
  const violations: ComposeViolation[] = [];
  const report = (rule: ComposeRuleId, service: string, message: string): void =>
    void violations.push({ rule, service, message });
  const services = Object.entries(compose.services ?? {});
  const migrateNames = services.filter(([, s]) => isAppService(s) && isMigrateService(s)).map(([n]) => n);
  const dbNames = services.filter(([, s]) => isPostgres(s)).map(([n]) => n);

  for (const [name, service] of services) {
    const app = isAppService(service);
    const oneShot = migrateNames.includes(name);
    const env = envOf(service);

    // COMPOSE-IMAGE-PINNED
    if (service.build === undefined) {
      const image = service.image ?? '';
      const [ref, digest] = image.split('@');
      const last = ref.split('/').pop() ?? '';
      const tag = last.includes(':') ? last.split(':').pop() : undefined;
      if (!digest && (!tag || tag === 'latest'))
        report('COMPOSE-IMAGE-PINNED', name, `${image || 'no image'} is not pinned`);
    }

    // Hardening
    if (app && service.read_only !== true) report('COMPOSE-READ-ONLY', name, 'root filesystem is writable');
    if (app && !list(service.tmpfs).some((t) => t.split(':')[0] === '/tmp'))
      report('COMPOSE-TMPFS', name, 'no tmpfs at /tmp');
    if (!(service.cap_drop ?? []).includes('ALL'))
      report('COMPOSE-CAP-DROP', name, 'does not drop ALL capabilities');
    const allowedCaps = isPostgres(service) ? ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'] : [];
    for (const cap of service.cap_add ?? []) {
      if (!allowedCaps.includes(cap)) report('COMPOSE-CAP-DROP', name, `adds ${cap}`);
    }
    if (!(service.security_opt ?? []).includes('no-new-privileges:true')) {
      report('COMPOSE-NO-NEW-PRIVILEGES', name, 'no-new-privileges is not set');
    }
    if (app) {
      const match = /^(\d+):(\d+)$/.exec(service.user ?? '');
      if (!match || Number(match[1]) < MIN_ID || Number(match[2]) < MIN_ID) {
        report('COMPOSE-USER', name, `user is ${service.user ?? 'unset'}`);
      }
    }

    // Secrets
    for (const [key, value] of env) {
      if (key.endsWith('_FILE')) continue;
      if (isSecretName(key)) report('COMPOSE-NO-INLINE-SECRET', name, `${key} is set inline`);
      else if (looksLikeCredential(value))
        report('COMPOSE-NO-INLINE-SECRET', name, `${key} holds a credential`);
    }
    for (const [key, value] of env) {
      if (!key.endsWith('_FILE') || !isSecretName(key.slice(0, -'_FILE'.length))) continue;
      const secret = /^\/run\/secrets\/([^/]+)$/.exec(value)?.[1];
      if (!secret || !secretNamesOf(service).includes(secret) || !compose.secrets?.[secret]) {
        report('COMPOSE-SECRETS', name, `${key} does not name a compose secret the service mounts`);
      }
    }

    if (app) {
      for (const secret of REQUIRED_SECRETS) {
        if (!env.has(secret) && !env.has(`${secret}_FILE`))
          report('COMPOSE-REQUIRED-SECRETS', name, `is not given ${secret}`);
      }
    }

    // Database TLS
    if (isPostgres(service)) {
      const settings = postgresSettings(service);
      if (settings.get('ssl') !== 'on') report('COMPOSE-DB-TLS', name, 'ssl is not on');
      const cert = settings.get('ssl_cert_file');
      if (!cert || !readOnlyBind(service, cert))
        report('COMPOSE-DB-TLS', name, 'server certificate is not a read-only mount');
      const keySource = mountsOf(service).find((m) => /server\.key$/.test(m.source ?? ''));
      if (!settings.get('ssl_key_file') || !keySource || keySource.read_only !== true) {
        report('COMPOSE-DB-TLS', name, 'server key is not mounted read-only');
      }
      const hba = settings.get('hba_file');
      const hbaMount = hba ? readOnlyBind(service, hba) : undefined;
      const hbaText = hbaMount?.source ? context.readRepoFile(hbaMount.source) : undefined;
      if (!hbaText) {
        report('COMPOSE-DB-TLS', name, 'no read-only hba_file from the repository');
      } else {
        const lines = hbaText
          .split('\n')
          .map((l) => l.replace(/#.*/, '').trim())
          .filter((l) => l !== '');
        for (const line of lines) {
          const [type, , , , method] = line.split(/\s+/);
          if (type === 'host' || (type === 'hostnossl' && method !== 'reject')) {
            report('COMPOSE-DB-TLS', name, `pg_hba allows non-TLS TCP: ${line}`);
          }
        }
        if (!lines.some((l) => l.startsWith('hostssl')))
          report('COMPOSE-DB-TLS', name, 'pg_hba has no hostssl line');
      }
    }
    if (app) {
      if (env.get('DATABASE_SSL_MODE') !== 'verify-full')
        report('COMPOSE-DB-VERIFY-FULL', name, 'DATABASE_SSL_MODE is not verify-full');
      const ca = env.get('DATABASE_SSL_CA_FILE');
      if (!ca || !(readOnlyBind(service, ca) || /^\/run\/secrets\//.test(ca))) {
        report('COMPOSE-DB-VERIFY-FULL', name, 'no CA mounted for DATABASE_SSL_CA_FILE');
      }
    }

    // Health and ordering
    const test = list(service.healthcheck?.test);
    if (!oneShot && (service.healthcheck?.disable === true || test.length === 0 || test[0] === 'NONE')) {
      report('COMPOSE-HEALTHCHECK', name, 'no healthcheck');
    }
    if (app) {
      const dependsOn = Array.isArray(service.depends_on) ? {} : (service.depends_on ?? {});
      for (const db of dbNames) {
        if (dependsOn[db]?.condition !== 'service_healthy')
          report('COMPOSE-DEPENDS-HEALTHY', name, `does not wait for ${db} to be healthy`);
      }
      if (!oneShot) {
        if (migrateNames.length === 0) report('COMPOSE-MIGRATE-ONESHOT', name, 'no migration service');
        for (const migrate of migrateNames) {
          if (dependsOn[migrate]?.condition !== 'service_completed_successfully') {
            report('COMPOSE-DEPENDS-HEALTHY', name, `does not wait for ${migrate} to complete`);
          }
        }
        if (env.get('DATABASE_MIGRATE_ON_START') !== 'false')
          report('COMPOSE-MIGRATE-ONESHOT', name, 'migrates on start');
      }
    }
    if (oneShot && (service.restart ?? 'no') !== 'no')
      report('COMPOSE-MIGRATE-ONESHOT', name, `restart is ${service.restart}`);

    // Ports
    for (const port of service.ports ?? []) {
      const hostIp =
        typeof port === 'string'
          ? port.split(':').length === 3
            ? port.split(':')[0]
            : undefined
          : port.host_ip;
      if (hostIp !== '127.0.0.1')
        report('COMPOSE-PORTS-LOOPBACK', name, `port ${JSON.stringify(port)} is published on all interfaces`);
    }
  }

  // Profiles: each service says when it runs, and a profile is complete and conflict-free.
  const profiles = new Set(services.flatMap(([, s]) => s.profiles ?? []));
  for (const [name, service] of services) {
    if ((service.profiles ?? []).length === 0) report('COMPOSE-PROFILES', name, 'names no profile');
    const dependsOn = Array.isArray(service.depends_on)
      ? service.depends_on
      : Object.keys(service.depends_on ?? {});
    for (const profile of service.profiles ?? []) {
      for (const dependency of dependsOn) {
        if (!(compose.services[dependency]?.profiles ?? []).includes(profile))
          report(
            'COMPOSE-PROFILES',
            name,
            `depends on ${dependency}, which profile ${profile} does not start`,
          );
      }
    }
  }
  for (const profile of profiles) {
    const seen = new Map<string, string>();
    for (const [name, service] of services.filter(([, s]) => (s.profiles ?? []).includes(profile))) {
      for (const port of service.ports ?? []) {
        const address = publishedAddress(port).replace(/^(0\.0\.0\.0|127\.0\.0\.1):/, '*:');
        const other = seen.get(address);
        if (other)
          report('COMPOSE-PROFILES', name, `publishes ${address} like ${other} in profile ${profile}`);
        seen.set(address, name);
      }
    }
  }

  // Issuers
  for (const [name, service] of services) {
    if (!isAppService(service) || migrateNames.includes(name)) continue;
    const issuer = interpolate(envOf(service).get('ORDEROPS_ISSUER') ?? '');
    if (!issuerAllowed(issuer))
      report('COMPOSE-ISSUER', name, `ORDEROPS_ISSUER ${issuer || '(unset)'} is not allowed`);
  }

  // Top-level secrets: files under a git-ignored directory.
  for (const [name, secret] of Object.entries(compose.secrets ?? {})) {
    if (!secret.file) report('COMPOSE-SECRETS', name, 'is not a file secret');
    else if (!context.isGitIgnored(secret.file))
      report('COMPOSE-SECRETS', name, `${secret.file} is not git-ignored`);
  }
  return violations;
}

export function composeRuleIds(violations: ComposeViolation[]): ComposeRuleId[] {
  return [...new Set(violations.map((v) => v.rule))].sort();
}
