import { mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startApi, type RunningProcess } from './support/processes.js';
import { newcomerPath, runBlock, shellBlocks, type ShellBlock } from './support/readme-blocks.js';
import { makeTempDir } from './support/test-database.js';

/** The address the README's snippets call; the test's API listens on a free port instead. */
const README_API = 'http://localhost:3000';

/**
 * A checkout as a newcomer has it after `npm ci` and `npm start`: the project's files (linked
 * from this repository), its own `.orderops/` data directory, and a shell whose `node` is
 * whatever the system has.
 */
function newcomerCheckout(): string {
  const dir = makeTempDir('orderops-readme-');
  for (const entry of ['package.json', 'node_modules', 'dist']) symlinkSync(resolve(entry), join(dir, entry));
  return dir;
}

function describeRun(
  block: ShellBlock,
  run: { status: number | null; stdout: string; stderr: string },
): string {
  return `README.md line ${block.line} exited ${String(run.status)}:\n${block.text}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

describe('the README’s shell snippets', () => {
  const blocks = shellBlocks(readFileSync('README.md', 'utf8'));
  const cleanup: string[] = [];
  let api: RunningProcess | undefined;
  afterAll(async () => {
    if (api && api.child.exitCode === null) {
      api.child.kill('SIGTERM');
      await api.exited;
    }
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  });

  it('marks every block it does not run with a reason, and runs the rest', () => {
    const run = blocks.filter((b) => b.marker?.kind !== 'skip');
    // The snippets a newcomer needs first (token, partner token, audit checkpoint) must run.
    expect(run.length).toBeGreaterThanOrEqual(3);
    for (const block of blocks) {
      if (block.marker?.kind === 'skip') expect(block.marker.reason.length).toBeGreaterThan(5);
    }
  });

  it('runs, in order, in one terminal, against the API started on a fresh data directory', async () => {
    const checkout = newcomerCheckout();
    cleanup.push(checkout);
    api = await startApi({ NODE_ENV: 'development' }, { cwd: checkout });
    const env = { PATH: newcomerPath(), HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8' };
    const state = join(checkout, '.readme-state.sh');
    let ran = 0;
    for (const block of blocks) {
      if (block.marker?.kind === 'skip') continue;
      if (block.marker?.kind === 'api-stopped' && api.child.exitCode === null) {
        api.child.kill('SIGTERM');
        expect(await api.exited).toBe(0);
      }
      const text = block.text.replaceAll(README_API, api.url);
      const run = runBlock(text, { cwd: checkout, state, env });
      expect(run.status, describeRun(block, run)).toBe(0);
      ran++;
    }
    expect(ran).toBeGreaterThanOrEqual(3);
  }, 240_000);
});

describe('the README snippet runner', () => {
  const dir = makeTempDir('orderops-readme-runner-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = { PATH: newcomerPath(), HOME: dir };

  it('finds shell blocks and their markers, and refuses a marker it does not know', () => {
    const markdown = [
      '```sh',
      'echo one',
      '```',
      '<!-- not run: needs a container engine -->',
      '',
      '```bash',
      'docker ps',
      '```',
      '```json',
      '{}',
      '```',
      '<!-- run: with the API stopped -->',
      '```sh',
      'echo three',
      '```',
    ].join('\n');
    expect(shellBlocks(markdown)).toEqual([
      { line: 1, text: 'echo one', marker: undefined },
      { line: 6, text: 'docker ps', marker: { kind: 'skip', reason: 'needs a container engine' } },
      { line: 13, text: 'echo three', marker: { kind: 'api-stopped' } },
    ]);
    expect(() => shellBlocks('<!-- not run: -->\n```sh\nx\n```')).toThrow(/needs a reason/);
    expect(() => shellBlocks('<!-- run: sometimes -->\n```sh\nx\n```')).toThrow(/unknown marker/);
  });

  it('fails a block whose command fails, even mid-pipeline or on an unset variable', () => {
    const state = join(dir, 'state.sh');
    mkdirSync(dir, { recursive: true });
    expect(runBlock('false | cat', { cwd: dir, state, env }).status).not.toBe(0);
    expect(runBlock('echo "$NEVER_SET"', { cwd: dir, state, env }).status).not.toBe(0);
    expect(
      runBlock('curl -sS --fail-with-body http://127.0.0.1:1/', { cwd: dir, state, env }).status,
    ).not.toBe(0);
  });

  it('carries variables from one block to the next, as one terminal does', () => {
    const state = join(dir, 'carry.sh');
    expect(runBlock('TOKEN=abc', { cwd: dir, state, env }).status).toBe(0);
    const next = runBlock('test "$TOKEN" = abc && echo "$TOKEN"', { cwd: dir, state, env });
    expect(next.status, next.stderr).toBe(0);
    expect(next.stdout.trim()).toBe('abc');
  });

  it('gives the snippets a PATH without any node_modules/.bin', () => {
    expect(newcomerPath('/repo/node_modules/.bin:/usr/local/bin:/x/node_modules/y/bin:/usr/bin')).toBe(
      '/usr/local/bin:/usr/bin',
    );
  });
});
