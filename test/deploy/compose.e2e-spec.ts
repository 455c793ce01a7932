import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMPOSE_RULES,
  checkCompose,
  composeRuleIds,
  interpolate,
  parseCompose,
  type ComposeContext,
  type ComposeFile,
  type ComposeRuleId,
} from './support/compose-policy.js';
import { REPO_ROOT } from './support/helm.js';

const COMPOSE_TEXT = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');

function gitIgnored(path: string): boolean {
  // git check-ignore: exit 0 = ignored, 1 = not ignored.
  const result = spawnSync('git', ['check-ignore', '--quiet', '--no-index', path], { cwd: REPO_ROOT });
  if (result.status !== 0 && result.status !== 1)
    throw new Error(`git check-ignore failed: ${result.stderr.toString()}`);
  return result.status === 0;
}

const context: ComposeContext = {
  isGitIgnored: gitIgnored,
  readRepoFile: (path) => {
    const file = join(REPO_ROOT, path);
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  },
};

function compose(): ComposeFile {
  return parseCompose(COMPOSE_TEXT);
}

describe('docker-compose.yml', () => {
  it('parses strictly and has the database, the one-shot migration and the API of each profile', () => {
    expect(Object.keys(compose().services).sort()).toEqual(['api', 'api-dev', 'db', 'migrate']);
    expect(compose().services.db.image).toMatch(/^postgres:17\b/);
  });

  it('has a dev and a production profile, each with the database, the migration and one API', () => {
    const inProfile = (profile: string): string[] =>
      Object.entries(compose().services)
        .filter(([, s]) => (s.profiles ?? []).includes(profile))
        .map(([name]) => name)
        .sort();
    expect(inProfile('dev')).toEqual(['api-dev', 'db', 'migrate']);
    expect(inProfile('production')).toEqual(['api', 'db', 'migrate']);
    // No service runs without a profile: a bare `docker compose up` selects nothing.
    expect(Object.values(compose().services).filter((s) => (s.profiles ?? []).length === 0)).toEqual([]);
  });

  it('starts the dev API with /docs and a laptop issuer, the production-like one with neither', () => {
    const { api, 'api-dev': dev } = compose().services;
    const apiEnv = api.environment as Record<string, string>;
    const devEnv = dev.environment as Record<string, string>;
    expect(devEnv.ORDEROPS_ISSUER).toBe('http://localhost:3000');
    expect(devEnv.DOCS_ENABLED).toBe('true');
    expect(interpolate(devEnv.LOG_LEVEL)).toBe('debug');
    expect(interpolate(apiEnv.ORDEROPS_ISSUER)).toBe('https://orderops.localhost');
    expect(interpolate(apiEnv.ORDEROPS_ISSUER, { ORDEROPS_ISSUER: 'https://orders.example.com' })).toBe(
      'https://orders.example.com',
    );
    expect(apiEnv).not.toHaveProperty('DOCS_ENABLED');
    // Everything else is the production-like service's: same image, hardening, secrets, database.
    const differing = Object.keys({ ...apiEnv, ...devEnv }).filter((k) => apiEnv[k] !== devEnv[k]);
    expect(differing.sort()).toEqual(['DOCS_ENABLED', 'LOG_LEVEL', 'ORDEROPS_ISSUER']);
    const { profiles: _p1, environment: _e1, ...apiRest } = api;
    const { profiles: _p2, environment: _e2, ...devRest } = dev;
    expect(devRest).toEqual(apiRest);
    expect(devEnv.NODE_ENV).toBe('production');
  });

  it('satisfies every compose rule', () => {
    expect(checkCompose(compose(), context)).toEqual([]);
  });

  it('gives the API and the migration the same hardened configuration through the shared anchor', () => {
    const { api, migrate } = compose().services;
    for (const key of [
      'user',
      'read_only',
      'tmpfs',
      'cap_drop',
      'security_opt',
      'environment',
      'secrets',
      'volumes',
    ] as const) {
      expect(api[key]).toEqual(migrate[key]);
    }
    expect(api.user).toBe('65532:65532');
    expect(migrate.command).toEqual(['dist/apps/cli/src/main.js', 'migrate']);
  });

  it('gives the API and the migration each required secret as a *_FILE compose secret', () => {
    const c = compose();
    const expected: Record<string, string> = {
      DATABASE_URL_FILE: 'database_url',
      ORDEROPS_MASTER_KEYS_FILE: 'master_keys',
      ORDEROPS_BLIND_INDEX_KEY_FILE: 'blind_index_key',
    };
    for (const service of [c.services.api, c.services.migrate]) {
      const env = service.environment as Record<string, string>;
      for (const [name, secret] of Object.entries(expected)) {
        expect(env[name]).toBe(`/run/secrets/${secret}`);
        expect(env).not.toHaveProperty(name.slice(0, -'_FILE'.length));
        expect(service.secrets).toContain(secret);
        expect(c.secrets?.[secret]?.file).toBe(`./.compose/secrets/${secret}`);
      }
    }
  });

  type Mutation = { rule: ComposeRuleId; what: string; mutate: (c: ComposeFile) => void };
  const MUTATIONS: Mutation[] = [
    {
      rule: 'COMPOSE-IMAGE-PINNED',
      what: 'postgres:latest',
      mutate: (c) => void (c.services.db.image = 'postgres:latest'),
    },
    {
      rule: 'COMPOSE-IMAGE-PINNED',
      what: 'untagged postgres',
      mutate: (c) => void (c.services.db.image = 'postgres'),
    },
    {
      rule: 'COMPOSE-READ-ONLY',
      what: 'writable API root',
      mutate: (c) => void (c.services.api.read_only = false),
    },
    {
      rule: 'COMPOSE-TMPFS',
      what: 'no /tmp tmpfs on migrate',
      mutate: (c) => void delete c.services.migrate.tmpfs,
    },
    {
      rule: 'COMPOSE-CAP-DROP',
      what: 'API keeps capabilities',
      mutate: (c) => void delete c.services.api.cap_drop,
    },
    {
      rule: 'COMPOSE-CAP-DROP',
      what: 'database adds SYS_ADMIN',
      mutate: (c) => void c.services.db.cap_add!.push('SYS_ADMIN'),
    },
    {
      rule: 'COMPOSE-NO-NEW-PRIVILEGES',
      what: 'database without no-new-privileges',
      mutate: (c) => void (c.services.db.security_opt = []),
    },
    { rule: 'COMPOSE-USER', what: 'API as root', mutate: (c) => void (c.services.api.user = '0:0') },
    { rule: 'COMPOSE-USER', what: 'API as a name', mutate: (c) => void (c.services.api.user = 'node') },
    {
      rule: 'COMPOSE-NO-INLINE-SECRET',
      what: 'inline master keys',
      mutate: (c) => {
        const env = c.services.api.environment as Record<string, string>;
        delete env.ORDEROPS_MASTER_KEYS_FILE;
        env.ORDEROPS_MASTER_KEYS = 'v1:x';
      },
    },
    {
      rule: 'COMPOSE-NO-INLINE-SECRET',
      what: 'inline blind-index key on the migration',
      mutate: (c) => {
        const env = { ...(c.services.migrate.environment as Record<string, string>) };
        delete env.ORDEROPS_BLIND_INDEX_KEY_FILE;
        env.ORDEROPS_BLIND_INDEX_KEY = 'dGVzdC1vbmx5LW5vdC1hLXNlY3JldC1ibGluZC1pbmRleC1rZXkhIQ==';
        c.services.migrate.environment = env;
      },
    },
    {
      rule: 'COMPOSE-NO-INLINE-SECRET',
      what: 'inline POSTGRES_PASSWORD',
      mutate: (c) => {
        const env = c.services.db.environment as Record<string, string>;
        delete env.POSTGRES_PASSWORD_FILE;
        env.POSTGRES_PASSWORD = 'orderops';
      },
    },
    {
      rule: 'COMPOSE-NO-INLINE-SECRET',
      what: 'a credential URL under another name',
      mutate: (c) =>
        void ((c.services.migrate.environment as Record<string, string>).UPSTREAM = 'postgres://a:b@db/x'),
    },
    {
      rule: 'COMPOSE-SECRETS',
      what: 'secret file outside the ignored directory',
      mutate: (c) => void (c.secrets!.master_keys.file = './secrets/master_keys'),
    },
    {
      rule: 'COMPOSE-SECRETS',
      what: '*_FILE naming a secret the service does not mount',
      mutate: (c) => void (c.services.api.secrets = ['database_url', 'bootstrap_admin_password']),
    },
    {
      rule: 'COMPOSE-SECRETS',
      what: 'blind-index key file not mounted into the migration',
      mutate: (c) =>
        void (c.services.migrate.secrets = c.services.migrate.secrets!.filter(
          (s) => s !== 'blind_index_key',
        )),
    },
    {
      rule: 'COMPOSE-REQUIRED-SECRETS',
      what: 'migration without the blind-index key',
      mutate: (c) => {
        const env = { ...(c.services.migrate.environment as Record<string, string>) };
        delete env.ORDEROPS_BLIND_INDEX_KEY_FILE;
        c.services.migrate.environment = env;
      },
    },
    {
      rule: 'COMPOSE-REQUIRED-SECRETS',
      what: 'API without the master keys',
      mutate: (c) => {
        const env = { ...(c.services.api.environment as Record<string, string>) };
        delete env.ORDEROPS_MASTER_KEYS_FILE;
        c.services.api.environment = env;
      },
    },
    {
      rule: 'COMPOSE-DB-TLS',
      what: 'ssl off',
      mutate: (c) =>
        void (c.services.db.command = (c.services.db.command as string[]).map((a) =>
          a === 'ssl=on' ? 'ssl=off' : a,
        )),
    },
    {
      rule: 'COMPOSE-DB-TLS',
      what: 'key mounted writable',
      mutate: (c) => {
        for (const v of c.services.db.volumes!)
          if (typeof v !== 'string' && v.source?.endsWith('server.key')) v.read_only = false;
      },
    },
    {
      rule: 'COMPOSE-DB-TLS',
      what: 'pg_hba that allows plain TCP',
      mutate: (c) => {
        for (const v of c.services.db.volumes!) {
          if (typeof v !== 'string' && v.source?.endsWith('pg_hba.conf'))
            v.source = './test/deploy/fixtures/pg_hba-plaintext.conf';
        }
      },
    },
    {
      rule: 'COMPOSE-DB-VERIFY-FULL',
      what: 'sslmode require',
      mutate: (c) =>
        void ((c.services.api.environment as Record<string, string>).DATABASE_SSL_MODE = 'require'),
    },
    {
      rule: 'COMPOSE-DB-VERIFY-FULL',
      what: 'CA not mounted',
      mutate: (c) => void (c.services.migrate.volumes = []),
    },
    {
      rule: 'COMPOSE-HEALTHCHECK',
      what: 'database without healthcheck',
      mutate: (c) => void delete c.services.db.healthcheck,
    },
    {
      rule: 'COMPOSE-HEALTHCHECK',
      what: 'API healthcheck disabled',
      mutate: (c) => void (c.services.api.healthcheck = { disable: true }),
    },
    {
      rule: 'COMPOSE-DEPENDS-HEALTHY',
      what: 'API starts when the database merely started',
      mutate: (c) => {
        (c.services.api.depends_on as Record<string, { condition: string }>).db.condition = 'service_started';
      },
    },
    {
      rule: 'COMPOSE-DEPENDS-HEALTHY',
      what: 'API does not wait for the migration',
      mutate: (c) => void delete (c.services.api.depends_on as Record<string, unknown>).migrate,
    },
    {
      rule: 'COMPOSE-MIGRATE-ONESHOT',
      what: 'migration restarts forever',
      mutate: (c) => void (c.services.migrate.restart = 'unless-stopped'),
    },
    {
      rule: 'COMPOSE-MIGRATE-ONESHOT',
      what: 'API migrates on start',
      mutate: (c) =>
        void ((c.services.api.environment as Record<string, string>).DATABASE_MIGRATE_ON_START = 'true'),
    },
    {
      rule: 'COMPOSE-PORTS-LOOPBACK',
      what: 'API published on all interfaces',
      mutate: (c) => void (c.services.api.ports = ['3000:3000']),
    },
    {
      rule: 'COMPOSE-PROFILES',
      what: 'the dev API also in the production profile (two APIs on port 3000)',
      mutate: (c) => void (c.services['api-dev'].profiles = ['dev', 'production']),
    },
    {
      rule: 'COMPOSE-PROFILES',
      what: 'the migration missing from the dev profile',
      mutate: (c) => void (c.services.migrate.profiles = ['production']),
    },
    {
      rule: 'COMPOSE-PROFILES',
      what: 'a service without a profile',
      mutate: (c) => void delete c.services.db.profiles,
    },
    {
      rule: 'COMPOSE-ISSUER',
      what: 'the dev API on a plain-http non-loopback issuer',
      mutate: (c) =>
        void ((c.services['api-dev'].environment as Record<string, string>).ORDEROPS_ISSUER =
          'http://orderops.localhost:3000'),
    },
    {
      rule: 'COMPOSE-ISSUER',
      what: 'the production-like API defaulting to a plain-http LAN issuer',
      mutate: (c) =>
        void ((c.services.api.environment as Record<string, string>).ORDEROPS_ISSUER =
          '${ORDEROPS_ISSUER:-http://192.168.1.20:3000}'),
    },
  ];

  it('every compose rule has a breaking case', () => {
    const covered = new Set<string>(MUTATIONS.map((m) => m.rule));
    expect(Object.keys(COMPOSE_RULES).filter((r) => !covered.has(r))).toEqual([]);
  });

  it.each(MUTATIONS)('$rule fires: $what', ({ rule, mutate }) => {
    const c = compose();
    mutate(c);
    expect(composeRuleIds(checkCompose(c, context))).toEqual([rule]);
  });
});

describe('compose/postgres/pg_hba.conf', () => {
  it('accepts TCP only over TLS with SCRAM, and rejects plain TCP explicitly', () => {
    const lines = readFileSync(join(REPO_ROOT, 'compose', 'postgres', 'pg_hba.conf'), 'utf8')
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter((l) => l !== '')
      .map((l) => l.split(/\s+/));
    for (const fields of lines) {
      if (fields[0] === 'hostssl') expect(fields[4]).toBe('scram-sha-256');
      if (fields[0] === 'hostnossl') expect(fields[4]).toBe('reject');
      expect(fields[0]).not.toBe('host');
    }
  });
});

describe('scripts/compose-certs.mjs', () => {
  let out: string;
  const run = (...args: string[]): string =>
    execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'compose-certs.mjs'), '--out', out, ...args], {
      encoding: 'utf8',
    });

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'orderops-compose-certs-'));
    run();
  });

  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
  });

  const read = (...path: string[]): string => readFileSync(join(out, ...path), 'utf8');

  it('writes a CA-signed server certificate for the db host that verify-full accepts', () => {
    const ca = new X509Certificate(read('certs', 'ca.crt'));
    const server = new X509Certificate(read('certs', 'server.crt'));
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.checkHost('db')).toBe('db');
    expect(server.checkHost('db.evil.example')).toBeUndefined();
    expect(server.keyUsage ?? []).toContain('1.3.6.1.5.5.7.3.1'); // serverAuth
    // The key matches the certificate.
    const key = createPrivateKey(read('certs', 'server.key'));
    expect(server.checkPrivateKey(key)).toBe(true);
    // openssl agrees.
    const verified = spawnSync(
      'openssl',
      ['verify', '-CAfile', join(out, 'certs', 'ca.crt'), join(out, 'certs', 'server.crt')],
      {
        encoding: 'utf8',
      },
    );
    expect(verified.stdout).toContain(': OK');
  });

  it('keeps the CA private key nowhere and the server key private', () => {
    expect(existsSync(join(out, 'certs', 'ca.key'))).toBe(false);
    expect(statSync(join(out, 'certs', 'server.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(out, 'secrets')).mode & 0o777).toBe(0o700);
    expect(statSync(out).mode & 0o777).toBe(0o700);
    // Secret files share one mode: the API (uid 65532) reads the bind-mounted files, inside a
    // directory only the owner can enter.
    for (const name of Object.keys(compose().secrets ?? {})) {
      expect(statSync(join(out, 'secrets', name)).mode & 0o777).toBe(
        statSync(join(out, 'secrets', 'master_keys')).mode & 0o777,
      );
    }
  });

  it('writes the compose secrets docker-compose.yml names, consistent with each other', () => {
    const names = Object.keys(compose().secrets ?? {});
    for (const name of names) expect(existsSync(join(out, 'secrets', name))).toBe(true);
    const password = read('secrets', 'postgres_password');
    expect(password.length).toBeGreaterThanOrEqual(40);
    expect(read('secrets', 'database_url')).toBe(`postgres://orderops:${password}@db:5432/orderops`);
    expect(read('secrets', 'master_keys')).toMatch(/^v1:[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(read('secrets', 'master_keys').slice(3), 'base64')).toHaveLength(32);
    // The blind-index key: 32 random bytes, base64, independent of the master keys.
    expect(read('secrets', 'blind_index_key')).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(read('secrets', 'blind_index_key'), 'base64')).toHaveLength(32);
    expect(read('secrets', 'master_keys')).not.toContain(read('secrets', 'blind_index_key'));
    expect(read('secrets', 'bootstrap_admin_password').length).toBeGreaterThanOrEqual(12);
  });

  it('keeps existing files on a second run and regenerates them with --force', () => {
    const before = read('secrets', 'postgres_password');
    const cert = read('certs', 'server.crt');
    expect(run()).toContain('kept secrets');
    expect(read('secrets', 'postgres_password')).toBe(before);
    expect(read('certs', 'server.crt')).toBe(cert);
    run('--force');
    expect(read('secrets', 'postgres_password')).not.toBe(before);
    expect(read('certs', 'server.crt')).not.toBe(cert);
  });

  it('adds a secret a newer version needs without touching the others', () => {
    const names = Object.keys(compose().secrets ?? {});
    const before = new Map(names.map((name) => [name, read('secrets', name)]));
    rmSync(join(out, 'secrets', 'blind_index_key'));
    expect(run()).toContain('generated secrets in');
    for (const name of names.filter((n) => n !== 'blind_index_key'))
      expect(read('secrets', name)).toBe(before.get(name));
    expect(read('secrets', 'blind_index_key')).not.toBe(before.get('blind_index_key'));
    expect(Buffer.from(read('secrets', 'blind_index_key'), 'base64')).toHaveLength(32);
    expect(run()).toContain('kept secrets');
  });

  it('calls openssl with argument lists only, never through a shell', () => {
    const source = readFileSync(join(REPO_ROOT, 'scripts', 'compose-certs.mjs'), 'utf8');
    expect(source).toMatch(/execFileSync\('openssl', args/);
    expect(source).not.toMatch(/\bexecSync\b|\bexec\(|shell:\s*true|spawn\(/);
  });

  it('writes into a directory git ignores by default', () => {
    expect(gitIgnored('.compose/secrets/master_keys')).toBe(true);
    expect(gitIgnored('.compose/secrets/blind_index_key')).toBe(true);
    expect(gitIgnored('.compose/certs/server.key')).toBe(true);
  });
});
