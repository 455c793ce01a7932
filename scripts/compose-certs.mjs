// Generates what docker-compose.yml needs and git must never hold, into .compose/ (git-ignored):
//
//   certs/ca.crt        CA certificate the API trusts (DATABASE_SSL_MODE=verify-full)
//   certs/server.crt    PostgreSQL server certificate (SAN: db, localhost, 127.0.0.1)
//   certs/server.key    its private key (0600)
//   secrets/*           compose secrets: postgres_password, database_url, master_keys,
//                       blind_index_key, bootstrap_admin_password
//
// Usage: node scripts/compose-certs.mjs [--out DIR] [--force]
//
// Existing files are kept (PostgreSQL takes its password only when its volume is first
// initialised; data sealed with the master keys and the blind indexes need their keys), and
// only missing secrets are generated, e.g. one a newer version needs; --force regenerates
// everything (then also `docker compose down -v`).
// openssl is called with argument lists only, never through a shell. The CA private key
// lives in a temporary directory and is deleted once the server certificate is signed.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import process from 'node:process';

const DAYS = '365';
const DB_HOST = 'db';
const DB_USER = 'orderops';
const DB_NAME = 'orderops';

function parseArgs(argv) {
  const options = { out: resolve('.compose'), force: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--force') options.force = true;
    else if (arg === '--out' && argv[i + 1] !== undefined) options.out = resolve(argv[++i]);
    else {
      process.stderr.write(
        `unknown argument: ${arg}\nusage: node scripts/compose-certs.mjs [--out DIR] [--force]\n`,
      );
      process.exit(2);
    }
  }
  return options;
}

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function writeFile(path, content, mode) {
  writeFileSync(path, content, { mode });
  chmodSync(path, mode); // the umask must not widen or narrow it
}

function generateCertificates(certDir) {
  const work = mkdtempSync(join(tmpdir(), 'orderops-compose-ca-'));
  try {
    const ecKey = (file) =>
      openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file], work);
    ecKey('ca.key');
    openssl(
      [
        'req',
        '-x509',
        '-new',
        '-key',
        'ca.key',
        '-sha256',
        '-days',
        DAYS,
        '-subj',
        '/CN=OrderOps compose CA',
        '-addext',
        'basicConstraints=critical,CA:TRUE,pathlen:0',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
        '-out',
        'ca.crt',
      ],
      work,
    );
    ecKey('server.key');
    openssl(['req', '-new', '-key', 'server.key', '-subj', `/CN=${DB_HOST}`, '-out', 'server.csr'], work);
    writeFileSync(
      join(work, 'server.ext'),
      [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=serverAuth',
        `subjectAltName=DNS:${DB_HOST},DNS:localhost,IP:127.0.0.1`,
        '',
      ].join('\n'),
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        'server.csr',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-set_serial',
        `0x${randomBytes(16).toString('hex')}`,
        '-days',
        DAYS,
        '-sha256',
        '-extfile',
        'server.ext',
        '-out',
        'server.crt',
      ],
      work,
    );
    openssl(['verify', '-CAfile', 'ca.crt', 'server.crt'], work);

    mkdirSync(certDir, { recursive: true, mode: 0o700 });
    chmodSync(certDir, 0o755); // PostgreSQL (uid 999) and the API (uid 65532) read the certificates
    writeFile(join(certDir, 'ca.crt'), readFileSync(join(work, 'ca.crt')), 0o644);
    writeFile(join(certDir, 'server.crt'), readFileSync(join(work, 'server.crt')), 0o644);
    // Read by the postgres container's entrypoint as root, which installs a copy owned by
    // the postgres user (PostgreSQL refuses a key it does not own).
    writeFile(join(certDir, 'server.key'), readFileSync(join(work, 'server.key')), 0o600);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const SECRET_NAMES = [
  'postgres_password',
  'database_url',
  'master_keys',
  'blind_index_key',
  'bootstrap_admin_password',
];

/** Writes the missing secrets (all of them with force); returns the names written. */
function generateSecrets(secretDir, force) {
  mkdirSync(secretDir, { recursive: true, mode: 0o700 });
  chmodSync(secretDir, 0o700);
  const missing = new Set(SECRET_NAMES.filter((name) => force || !existsSync(join(secretDir, name))));
  // database_url carries the password: a new password means a new URL.
  if (missing.has('postgres_password')) missing.add('database_url');
  const password = missing.has('postgres_password')
    ? randomBytes(32).toString('base64url')
    : readFileSync(join(secretDir, 'postgres_password'), 'utf8');
  const generate = {
    postgres_password: () => password,
    database_url: () => `postgres://${DB_USER}:${password}@${DB_HOST}:5432/${DB_NAME}`,
    master_keys: () => `v1:${randomBytes(32).toString('base64')}`,
    // HMAC key of the blind indexes: 32 random bytes, base64; independent of the master keys.
    blind_index_key: () => randomBytes(32).toString('base64'),
    bootstrap_admin_password: () => randomBytes(24).toString('base64url'),
  };
  // Compose bind-mounts secret files with their host mode; the API runs as uid 65532, so the
  // files are world-readable inside a directory only the owner can enter.
  const written = SECRET_NAMES.filter((name) => missing.has(name));
  for (const name of written) writeFile(join(secretDir, name), generate[name](), 0o644);
  return written;
}

function main() {
  const { out, force } = parseArgs(process.argv.slice(2));
  const certDir = join(out, 'certs');
  const secretDir = join(out, 'secrets');
  mkdirSync(out, { recursive: true, mode: 0o700 });

  const haveCerts = ['ca.crt', 'server.crt', 'server.key'].every((f) => existsSync(join(certDir, f)));
  if (force || !haveCerts) generateCertificates(certDir);
  const written = generateSecrets(secretDir, force);
  process.stdout.write(
    `${force || !haveCerts ? 'generated' : 'kept'} certificates in ${certDir}\n` +
      (written.length === 0
        ? `kept secrets in ${secretDir}\n`
        : `generated secrets in ${secretDir}: ${written.join(', ')}\n`),
  );
}

main();
