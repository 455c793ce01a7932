import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOCKERFILE_RULES,
  checkDockerfile,
  checkDockerignore,
  dockerRuleIds,
  type DockerContext,
  type DockerRuleId,
} from './support/dockerfile-policy.js';
import { REPO_ROOT } from './support/helm.js';

const DOCKERFILE = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const DOCKERIGNORE = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8');
const PACKAGE = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const NODE_MAJOR = Number(/>=\s*(\d+)/.exec(PACKAGE.engines.node)![1]);

const context: DockerContext = {
  nodeMajor: NODE_MAJOR,
  readContextFile: (path) => {
    const file = join(REPO_ROOT, path);
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  },
};

/** Replaces `from` (which must occur) in the Dockerfile. */
function edit(from: string | RegExp, to: string): string {
  const changed = DOCKERFILE.replace(from, to);
  if (changed === DOCKERFILE) throw new Error(`mutation did not apply: ${String(from)}`);
  return changed;
}

describe('Dockerfile', () => {
  it('pins the same Node major as package.json (engines and the node dev dependency)', () => {
    expect(NODE_MAJOR).toBe(24);
    expect(PACKAGE.devDependencies.node).toMatch(new RegExp(`^\\^?${NODE_MAJOR}\\.`));
  });

  it('satisfies every image rule', () => {
    expect(checkDockerfile(DOCKERFILE, context)).toEqual([]);
  });

  it('runs the API entry point and the CLI path the Helm Job and compose use', () => {
    expect(DOCKERFILE).toMatch(/^CMD \["dist\/apps\/api\/src\/main\.js"\]$/m);
    expect(DOCKERFILE).toMatch(/^USER 65532:65532$/m);
  });

  const MUTATIONS: { rule: DockerRuleId; what: string; dockerfile: () => string }[] = [
    {
      rule: 'DOCKER-MULTI-STAGE',
      what: 'dist copied from the build context instead of the build stage',
      dockerfile: () => edit(/^COPY --from=build \/app\/dist \.\/dist$/m, 'COPY dist ./dist'),
    },
    {
      rule: 'DOCKER-BASE-PINNED',
      what: 'latest base',
      dockerfile: () => edit('FROM node:24-bookworm-slim AS deps', 'FROM debian:latest AS deps'),
    },
    {
      rule: 'DOCKER-BASE-PINNED',
      what: 'untagged base',
      dockerfile: () => edit('FROM node:24-bookworm-slim AS deps', 'FROM debian AS deps'),
    },
    {
      rule: 'DOCKER-BASE-PINNED',
      what: 'base from a variable',
      dockerfile: () =>
        edit('FROM node:24-bookworm-slim AS deps', 'ARG BASE=debian:12\nFROM ${BASE} AS deps'),
    },
    {
      rule: 'DOCKER-NODE-MAJOR',
      what: 'Node 22 build stage',
      dockerfile: () => edit('FROM node:24-bookworm-slim AS build', 'FROM node:22-bookworm-slim AS build'),
    },
    {
      rule: 'DOCKER-FINAL-DISTROLESS',
      what: 'root distroless variant',
      dockerfile: () => edit('nodejs24-debian12:nonroot', 'nodejs24-debian12:latest-amd64'),
    },
    {
      rule: 'DOCKER-FINAL-DISTROLESS',
      what: 'slim final image with a shell',
      dockerfile: () =>
        edit(
          'FROM gcr.io/distroless/nodejs24-debian12:nonroot AS runtime',
          'FROM node:24-bookworm-slim AS runtime',
        ),
    },
    { rule: 'DOCKER-USER', what: 'named user', dockerfile: () => edit('USER 65532:65532', 'USER nonroot') },
    { rule: 'DOCKER-USER', what: 'root', dockerfile: () => edit('USER 65532:65532', 'USER 0:0') },
    { rule: 'DOCKER-USER', what: 'no USER', dockerfile: () => edit('USER 65532:65532\n', '') },
    {
      rule: 'DOCKER-PROD-DEPS',
      what: 'node_modules from the build stage (dev dependencies included)',
      dockerfile: () => edit('COPY --from=deps /app/node_modules', 'COPY --from=build /app/node_modules'),
    },
    {
      rule: 'DOCKER-PROD-DEPS',
      what: 'deps stage installs everything',
      dockerfile: () => edit('npm ci --omit=dev --ignore-scripts', 'npm ci --ignore-scripts'),
    },
    {
      rule: 'DOCKER-OCI-LABELS',
      what: 'revision label missing',
      dockerfile: () => edit(/^ *org\.opencontainers\.image\.revision=.*\n/m, ''),
    },
    {
      rule: 'DOCKER-OCI-LABELS',
      what: 'version hard-coded',
      dockerfile: () =>
        edit('org.opencontainers.image.version="${VERSION}"', 'org.opencontainers.image.version="0.1.0"'),
    },
    {
      rule: 'DOCKER-HEALTHCHECK',
      what: 'shell-form health check',
      dockerfile: () =>
        edit(
          'CMD ["/nodejs/bin/node", "/app/scripts/healthcheck.mjs"]',
          'CMD /nodejs/bin/node /app/scripts/healthcheck.mjs',
        ),
    },
    {
      rule: 'DOCKER-HEALTHCHECK',
      what: 'curl (not in distroless)',
      dockerfile: () =>
        edit(
          'CMD ["/nodejs/bin/node", "/app/scripts/healthcheck.mjs"]',
          'CMD ["curl", "-f", "http://127.0.0.1:3000/health/live"]',
        ),
    },
    {
      rule: 'DOCKER-HEALTHCHECK',
      what: 'script not copied',
      dockerfile: () => edit('COPY scripts/healthcheck.mjs ./scripts/healthcheck.mjs\n', ''),
    },
    {
      rule: 'DOCKER-HEALTHCHECK',
      what: 'no HEALTHCHECK',
      dockerfile: () => edit(/^HEALTHCHECK [^\n]*\\\n[^\n]*\n/m, ''),
    },
    {
      rule: 'DOCKER-EXEC-FORM',
      what: 'shell-form CMD',
      dockerfile: () => edit('CMD ["dist/apps/api/src/main.js"]', 'CMD node dist/apps/api/src/main.js'),
    },
    {
      rule: 'DOCKER-EXEC-FORM',
      what: 'no CMD',
      dockerfile: () => edit('CMD ["dist/apps/api/src/main.js"]', ''),
    },
    {
      rule: 'DOCKER-NO-SECRETS',
      what: 'a secret ARG',
      dockerfile: () => edit('ARG VERSION=0.0.0-dev', 'ARG VERSION=0.0.0-dev\nARG NPM_TOKEN'),
    },
    {
      rule: 'DOCKER-NO-SECRETS',
      what: 'a DATABASE_URL ENV',
      dockerfile: () =>
        edit('HOST=0.0.0.0 \\', 'HOST=0.0.0.0 \\\n    DATABASE_URL=postgres://orderops:pw@db/orderops \\'),
    },
    {
      rule: 'DOCKER-NO-SECRETS',
      what: 'copies .env',
      dockerfile: () => edit('COPY package.json ./\n', 'COPY package.json .env ./\n'),
    },
    {
      rule: 'DOCKER-NO-ADD',
      what: 'ADD a URL',
      dockerfile: () =>
        edit('COPY package.json ./\n', 'COPY package.json ./\nADD https://example.com/tool.tgz /opt/\n'),
    },
    {
      rule: 'DOCKER-NO-BROAD-COPY',
      what: 'COPY . .',
      dockerfile: () => edit('COPY apps ./apps', 'COPY . .'),
    },
    {
      rule: 'DOCKER-NODE-HEAP',
      what: 'no NODE_OPTIONS',
      dockerfile: () => edit('    NODE_OPTIONS="--max-old-space-size=512 --max-semi-space-size=32" \\\n', ''),
    },
    {
      rule: 'DOCKER-NODE-HEAP',
      what: 'NODE_OPTIONS without a semi-space cap',
      dockerfile: () => edit(' --max-semi-space-size=32"', '"'),
    },
    {
      rule: 'DOCKER-NODE-ENV',
      what: 'no NODE_ENV',
      dockerfile: () => edit('ENV NODE_ENV=production \\', 'ENV \\'),
    },
  ];

  it('every image rule has a breaking case', () => {
    const covered = new Set<string>([...MUTATIONS.map((m) => m.rule), 'DOCKERIGNORE']);
    expect(Object.keys(DOCKERFILE_RULES).filter((r) => !covered.has(r))).toEqual([]);
  });

  it.each(MUTATIONS)('$rule fires: $what', ({ rule, dockerfile }) => {
    expect(dockerRuleIds(checkDockerfile(dockerfile(), context))).toEqual([rule]);
  });
});

describe('.dockerignore', () => {
  it('excludes secrets, local data, dependencies, tests and git data', () => {
    expect(checkDockerignore(DOCKERIGNORE)).toEqual([]);
  });

  it.each([
    ['.env files', /^(\*\*\/)?\.env/],
    ['.orderops/', /^(\*\*\/)?\.orderops/],
    ['.compose/', /^\.compose/],
    ['node_modules/', /^(\*\*\/)?node_modules/],
    ['test/', /^test\/?$/],
    ['.git', /^\.git\/?$/],
  ])('DOCKERIGNORE fires without %s', (_what, pattern) => {
    const lines = DOCKERIGNORE.split('\n');
    const weakened = lines.filter((l) => !pattern.test(l.trim()));
    expect(weakened.length).toBeLessThan(lines.length);
    expect(dockerRuleIds(checkDockerignore(weakened.join('\n')))).toEqual(['DOCKERIGNORE']);
  });

  it('DOCKERIGNORE fires when a negation re-includes an env file', () => {
    expect(dockerRuleIds(checkDockerignore(`${DOCKERIGNORE}\n!.env.production\n`))).toEqual(['DOCKERIGNORE']);
  });
});

describe('scripts/healthcheck.mjs (the image HEALTHCHECK and the helm test pod)', () => {
  let server: Server;
  let port: number;
  let status = 200;
  const paths: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.statusCode = status;
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function runHealthcheck(args: string[], env: Record<string, string>): Promise<number | null> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts', 'healthcheck.mjs'), ...args], {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: 'ignore',
      });
      child.on('error', reject);
      child.on('exit', (code) => resolve(code));
    });
  }

  it('exits 0 when /health/live on $PORT answers 200, and probes exactly that path', async () => {
    status = 200;
    paths.length = 0;
    expect(await runHealthcheck([], { PORT: String(port) })).toBe(0);
    expect(paths).toEqual(['/health/live']);
  });

  it('exits 1 on 503', async () => {
    status = 503;
    expect(await runHealthcheck([], { PORT: String(port) })).toBe(1);
  });

  it('exits 1 when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await runHealthcheck([], { PORT: String(freePort) })).toBe(1);
  });

  it('probes the URL it is given (the helm test pod passes /health/ready)', async () => {
    status = 200;
    paths.length = 0;
    expect(await runHealthcheck([`http://127.0.0.1:${port}/health/ready`], {})).toBe(0);
    expect(paths).toEqual(['/health/ready']);
  });
});
