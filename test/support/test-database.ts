import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export type DatabaseKind = 'embedded' | 'postgres';

/** Which database the suite runs on: the real server named by DATABASE_URL, else embedded. */
export const databaseKind: DatabaseKind = process.env.DATABASE_URL ? 'postgres' : 'embedded';

export interface TestDatabase {
  readonly kind: DatabaseKind;
  /** Settings that point an app at this database (plus a private data directory). */
  readonly env: Record<string, string>;
  /** For the postgres kind: the target a TCP proxy should forward to. */
  readonly tcpTarget?: { host: string; port: number };
  dispose(): Promise<void>;
}

export function sslEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['DATABASE_SSL_MODE', 'DATABASE_SSL_CA', 'DATABASE_SSL_CA_FILE']) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  return env;
}

/** TLS options for the suite's own admin connection, mirroring what the app will use. */
export function adminSsl(): pg.ClientConfig['ssl'] {
  const mode = process.env.DATABASE_SSL_MODE ?? 'disable';
  if (mode === 'disable') return false;
  const caFile = process.env.DATABASE_SSL_CA_FILE;
  const ca = caFile ? readFileSync(caFile, 'utf8') : process.env.DATABASE_SSL_CA;
  return mode === 'verify-full'
    ? { ca, rejectUnauthorized: true }
    : { rejectUnauthorized: mode === 'verify-full' };
}

export function makeTempDir(prefix = 'orderops-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A fresh, empty database for one suite: a temporary data directory for the embedded kind,
 * or a new database on the PostgreSQL server (created here, dropped on dispose).
 */
export async function provisionTestDatabase(): Promise<TestDatabase> {
  const dataDir = makeTempDir();
  const base = process.env.DATABASE_URL;
  if (!base) {
    return {
      kind: 'embedded',
      env: { ORDEROPS_DATA_DIR: dataDir },
      dispose: () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })),
    };
  }
  const baseUrl = new URL(base);
  const name = `${baseUrl.pathname.slice(1)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base, ssl: adminSsl() });
  await admin.connect();
  // Identifiers cannot be bound as parameters; the name is ours (hex suffix) and escaped anyway.
  const create = `CREATE DATABASE ${admin.escapeIdentifier(name)}`;
  await admin.query(create);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    kind: 'postgres',
    env: { ORDEROPS_DATA_DIR: dataDir, DATABASE_URL: url.toString(), ...sslEnv() },
    tcpTarget: { host: baseUrl.hostname, port: Number(baseUrl.port || 5432) },
    dispose: async () => {
      const client = new pg.Client({ connectionString: base, ssl: adminSsl() });
      await client.connect();
      const drop = `DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`;
      try {
        // FORCE cannot end a backend of another role: an autovacuum worker busy on the
        // database (the audit sequencer's updates invite one) makes the drop fail for a
        // moment. Such a worker gives way quickly, so the drop is retried a few times.
        for (let attempt = 1; ; attempt++) {
          try {
            await client.query(drop);
            break;
          } catch (error) {
            if (attempt >= 20 || !/pg_signal_backend/.test((error as Error).message)) throw error;
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
        }
      } finally {
        await client.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
