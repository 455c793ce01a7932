import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from './support/test-database.js';

/**
 * The supply-chain gate of CI (`npm run supply-chain`): each check passes on this
 * repository and fails when its rule is broken on a temporary copy.
 */

const repo = resolve('.');
const script = (name: string): string => join(repo, 'scripts', 'supply-chain', name);

function run(file: string, args: string[], cwd = repo): { status: number | null; out: string } {
  const result = spawnSync(process.execPath, [file, ...args], { cwd, encoding: 'utf8', timeout: 180_000 });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

/** As `run`, without blocking this process (whose own test server must keep answering). */
function runAsync(file: string, args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [file, ...args], { cwd: repo });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('close', (status) => done({ status, out }));
  });
}

const temps: string[] = [];
function temp(): string {
  const dir = makeTempDir('orderops-supply-chain-');
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function writeJson(path: string, value: unknown): void {
  mkdirSync(resolve(path, '..'), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

describe('install scripts', () => {
  const project = (packages: Record<string, object>, allowScripts: Record<string, boolean>): string => {
    const dir = temp();
    writeJson(join(dir, 'package.json'), { name: 'probe', version: '1.0.0', allowScripts });
    writeJson(join(dir, 'package-lock.json'), { lockfileVersion: 3, packages: { '': {}, ...packages } });
    return dir;
  };

  it('passes on this repository: every package with an install script is on package.json allowScripts', () => {
    const { status, out } = run(script('install-scripts.mjs'), ['check']);
    expect(status, out).toBe(0);
    expect(out).toContain('run: node');
  });

  it('fails on a new dependency with an install script that is not on the list, naming it', () => {
    const dir = project(
      {
        'node_modules/node': { version: '24.0.0', hasInstallScript: true },
        'node_modules/left-pad/node_modules/sneaky': { version: '1.2.3', hasInstallScript: true },
      },
      { node: true },
    );
    const { status, out } = run(script('install-scripts.mjs'), ['check', dir]);
    expect(status).toBe(1);
    expect(out).toContain('node_modules/left-pad/node_modules/sneaky (sneaky@1.2.3) has an install script');
    expect(out).not.toContain('node_modules/node ');
  });

  it('fails on a listed package that no longer has an install script (the list stays exact)', () => {
    const dir = project(
      { 'node_modules/node': { version: '24.0.0', hasInstallScript: true } },
      {
        node: true,
        gone: false,
      },
    );
    const { status, out } = run(script('install-scripts.mjs'), ['check', dir]);
    expect(status).toBe(1);
    expect(out).toContain('allowScripts lists gone');
  });
});

describe('licences', () => {
  const installed = (licences: Record<string, unknown>): string => {
    const dir = temp();
    const dependencies = Object.fromEntries(Object.keys(licences).map((name) => [name, '1.0.0']));
    writeJson(join(dir, 'package.json'), { name: 'probe', version: '1.0.0', dependencies });
    for (const [name, license] of Object.entries(licences)) {
      writeJson(join(dir, 'node_modules', name, 'package.json'), { name, version: '1.0.0', license });
    }
    return dir;
  };

  it('passes on this repository’s installed production tree', () => {
    const { status, out } = run(script('licences.mjs'), []);
    expect(status, out).toBe(0);
    expect(out).toMatch(/licences: \d{3} production packages, all allowed/);
  });

  it('fails on a copyleft or undeclared licence, naming the package path and its licence', () => {
    const dir = installed({ fine: 'MIT', either: '(MIT OR GPL-3.0-only)', copyleft: 'GPL-3.0-only' });
    writeJson(join(dir, 'node_modules', 'silent', 'package.json'), { name: 'silent', version: '1.0.0' });
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    writeJson(join(dir, 'package.json'), {
      ...manifest,
      dependencies: { ...manifest.dependencies, silent: '1.0.0' },
    });
    const { status, out } = run(script('licences.mjs'), [dir]);
    expect(status).toBe(1);
    expect(out).toContain('node_modules/copyleft copyleft@1.0.0: GPL-3.0-only is not allowed');
    expect(out).toContain('node_modules/silent silent@1.0.0: no licence declared');
    expect(out).not.toContain('node_modules/fine ');
    expect(out).not.toContain('node_modules/either ');
  });

  it('an AND expression needs every part allowed', () => {
    const { status, out } = run(script('licences.mjs'), [installed({ both: 'MIT AND AGPL-3.0-only' })]);
    expect(status).toBe(1);
    expect(out).toContain('both@1.0.0: MIT AND AGPL-3.0-only is not allowed');
    expect(run(script('licences.mjs'), [installed({ both: 'MIT AND ISC' })]).status).toBe(0);
  });
});

describe('one Node major', () => {
  const copy = (): string => {
    const dir = temp();
    for (const file of ['package.json', '.nvmrc', 'Dockerfile', 'helm/orderops/Chart.yaml']) {
      cpSync(join(repo, file), join(dir, file), { recursive: true });
    }
    return dir;
  };

  it('passes on this repository', () => {
    const { status, out } = run(script('node-major.mjs'), []);
    expect(status, out).toBe(0);
  });

  it('fails when .nvmrc, engines, the Dockerfile or the chart name another major', () => {
    const breakers: [string, (dir: string) => void][] = [
      ['.nvmrc', (dir) => writeFileSync(join(dir, '.nvmrc'), '22\n')],
      [
        'engines.node',
        (dir) => {
          const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<
            string,
            unknown
          >;
          writeJson(join(dir, 'package.json'), { ...manifest, engines: { node: '>=22' } });
        },
      ],
      [
        'Dockerfile',
        (dir) => {
          const path = join(dir, 'Dockerfile');
          writeFileSync(path, readFileSync(path, 'utf8').replace('nodejs24-debian12', 'nodejs22-debian12'));
        },
      ],
      [
        'Chart.yaml',
        (dir) => {
          const path = join(dir, 'helm/orderops/Chart.yaml');
          writeFileSync(path, readFileSync(path, 'utf8').replace("node-major: '24'", "node-major: '26'"));
        },
      ],
    ];
    for (const [source, breakIt] of breakers) {
      const dir = copy();
      expect(run(script('node-major.mjs'), [dir]).status, source).toBe(0);
      breakIt(dir);
      const { status, out } = run(script('node-major.mjs'), [dir]);
      expect(status, source).toBe(1);
      expect(out, source).toContain('Node majors disagree');
    }
  });
});

describe('secret scanning', () => {
  const git = (dir: string, ...args: string[]) => {
    const result = spawnSync('git', ['-c', 'user.email=ci@example.invalid', '-c', 'user.name=CI', ...args], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  };
  // A realistic key, made for this test only: nothing secret-looking is checked in.
  const plantedKey = (): string =>
    generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();

  it('passes on this repository’s tree, with the deliberate fixtures allowlisted by path and rule', () => {
    const { status, out } = run(script('secrets.mjs'), ['tree']);
    expect(status, out).toBe(0);
    expect(out).toMatch(/none in \d+ files \(\d+ allowlisted findings\)/);
  });

  it('a planted key in a new file fails the tree scan, and stays found in history once deleted', () => {
    const dir = temp();
    git(dir, 'init', '-q');
    writeFileSync(join(dir, 'README.md'), 'nothing to see\n');
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'clean');
    expect(run(script('secrets.mjs'), ['tree', dir]).status).toBe(0);
    expect(run(script('secrets.mjs'), ['history', dir]).status).toBe(0);

    // An allowlisted path does not cover a different rule.
    mkdirSync(join(dir, 'helm', 'ci-negative'), { recursive: true });
    writeFileSync(join(dir, 'helm', 'ci-negative', 'deploy-key.pem'), plantedKey());
    const tree = run(script('secrets.mjs'), ['tree', dir]);
    expect(tree.status).toBe(1);
    expect(tree.out).toMatch(
      /helm\/ci-negative\/deploy-key\.pem:\d+ @secretlint\/secretlint-rule-privatekey/,
    );
    expect(tree.out).not.toContain('PRIVATE KEY');

    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'oops');
    git(dir, 'rm', '-q', 'helm/ci-negative/deploy-key.pem');
    git(dir, 'commit', '-qm', 'remove it');
    expect(run(script('secrets.mjs'), ['tree', dir]).status).toBe(0);
    const history = run(script('secrets.mjs'), ['history', dir]);
    expect(history.status).toBe(1);
    expect(history.out).toContain('helm/ci-negative/deploy-key.pem');
  });
});

describe('SBOM', () => {
  it('npm run sbom writes a CycloneDX 1.5+ JSON of exactly the installed production tree', () => {
    const result = spawnSync('npm', ['run', '-s', 'sbom'], { cwd: repo, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const bom = JSON.parse(readFileSync(join(repo, 'sbom', 'orderops.cdx.json'), 'utf8')) as {
      bomFormat: string;
      specVersion: string;
      metadata: { component: { name: string } };
      components: { name: string; group?: string; version: string; components?: unknown[] }[];
    };
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(Number(bom.specVersion)).toBeGreaterThanOrEqual(1.5);
    expect(bom.metadata.component.name).toBe('orderops');
    const listed = new Set<string>();
    const walk = (components: typeof bom.components = []) => {
      for (const c of components) {
        listed.add(`${c.group ? `${c.group}/` : ''}${c.name}@${c.version}`);
        walk(c.components as typeof bom.components);
      }
    };
    walk(bom.components);
    const query = spawnSync('npm', ['query', '.prod'], { cwd: repo, encoding: 'utf8', maxBuffer: 64 << 20 });
    const production = (JSON.parse(query.stdout) as { name: string; version: string; location: string }[])
      .filter((p) => p.location !== '')
      .map((p) => `${p.name}@${p.version}`);
    expect(production.length).toBeGreaterThan(100);
    expect(production.filter((p) => !listed.has(p))).toEqual([]);
    expect([...listed].some((p) => p.startsWith('vitest@'))).toBe(false);
  });
});

describe('the image build follows the same rules', () => {
  const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8');

  it('every npm ci skips install scripts, and the allowed ones run from the one list', () => {
    const installs = [...dockerfile.matchAll(/npm ci[^\n&]*/g)].map((m) => m[0]);
    expect(installs.length).toBeGreaterThanOrEqual(2);
    expect(installs.filter((command) => !command.includes('--ignore-scripts'))).toEqual([]);
    expect(dockerfile).toContain('node scripts/supply-chain/install-scripts.mjs rebuild');
  });

  it('the SBOM is written by the build, copied into the image, and named by a label', () => {
    expect(dockerfile).toMatch(/RUN [^\n]*npm run sbom/);
    const label = /io\.orderops\.image\.sbom="([^"]+)"/.exec(dockerfile)?.[1];
    expect(label).toBe('/app/sbom/orderops.cdx.json');
    expect(dockerfile).toContain('COPY --from=build /app/sbom/orderops.cdx.json ./sbom/orderops.cdx.json');
  });
});

describe('advisories', () => {
  let server: Server | undefined;
  afterAll(() => server?.close());

  /** A registry that answers the bulk advisory request with one high advisory for `ulid`. */
  async function advisoryRegistry(): Promise<string> {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.url?.includes('/-/npm/v1/security/advisories/bulk')) {
          const raw = Buffer.concat(chunks);
          const body = request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
          const asked = JSON.parse(body.toString('utf8')) as Record<string, string[]>;
          response.setHeader('content-type', 'application/json');
          response.end(
            JSON.stringify(
              'ulid' in asked
                ? {
                    ulid: [
                      {
                        id: 1,
                        url: 'https://advisories.example.invalid/1',
                        title: 'Planted test advisory',
                        severity: 'high',
                        vulnerable_versions: '<99.0.0',
                        cwe: [],
                        cvss: { score: 8, vectorString: null },
                      },
                    ],
                  }
                : {},
            ),
          );
          return;
        }
        response.statusCode = 404;
        response.end('{}');
      });
    });
    await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }

  it('fails on a high advisory when the advisory service answers', async () => {
    const registry = await advisoryRegistry();
    const { status, out } = await runAsync(script('advisories.mjs'), ['.', '--', `--registry=${registry}`]);
    expect(status, out).toBe(1);
    expect(out).toContain('npm audit answered: 0 critical, 1 high');
    expect(out).toContain('high: ulid');
  });

  it('says "advisory service unreachable" as a warning, and passes, when nothing answers', () => {
    const { status, out } = run(script('advisories.mjs'), ['.', '--', '--registry=http://127.0.0.1:9/']);
    expect(status, out).toBe(0);
    expect(out).toContain('WARNING advisories: advisory service unreachable');
    expect(out).not.toContain('npm audit answered');
  });
});
