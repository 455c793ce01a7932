import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_VERSION } from '../../apps/cli/src/version.js';
import { runCli } from '../support/processes.js';
import { makeTempDir } from '../support/test-database.js';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

/** A stack line as Node prints it: `    at fn (file:line:col)`. */
const STACK_LINE = /^\s+at /m;

/** The one line an expected failure prints, asserted to be the whole of stderr. */
function oneErrorLine(res: { stderr: string }): string {
  const lines = res.stderr.trimEnd().split('\n');
  expect(lines, res.stderr).toHaveLength(1);
  expect(res.stderr).not.toMatch(STACK_LINE);
  expect(lines[0]).toMatch(/^orderops: /);
  return lines[0];
}

// Each case is one CLI process (about 2 s to boot here, many times that on a loaded machine).
const CLI_BUDGET = 120_000;

/**
 * The command line before any database: usage, version, mistakes. Every case runs in an
 * empty working directory with production settings and no secrets, so a command that read
 * the configuration would fail and one that wrote a file would leave it there.
 */
describe('orderops usage (built CLI, no database)', () => {
  const cwd = makeTempDir('orderops-cli-usage-');
  const production = { NODE_ENV: 'production' };
  const run = (args: string[], input?: string) => runCli(args, production, input, cwd);
  const files = makeTempDir('orderops-cli-files-');
  afterAll(() => {
    rmSync(cwd, { recursive: true, force: true });
    rmSync(files, { recursive: true, force: true });
  });

  it(
    '--help, -h and no arguments print the usage of `orderops` on stdout, exit 0, and create nothing',
    () => {
      for (const args of [['--help'], ['-h'], []]) {
        const res = run(args);
        expect(res.status, `${args.join(' ')}: ${res.stderr}`).toBe(0);
        expect(res.stdout).toMatch(/^Usage: orderops \[options\] \[command\]/);
        expect(res.stdout).not.toContain('Usage: main');
        for (const command of ['migrate', 'operators', 'clients', 'keys', 'pii', 'audit', 'import'])
          expect(res.stdout).toContain(`  ${command}`);
        expect(res.stderr).toBe('');
      }
      const sub = run(['audit', '--help']);
      expect(sub.status).toBe(0);
      expect(sub.stdout).toMatch(/^Usage: orderops audit/);
      const group = run(['keys']);
      expect(group.status).toBe(0);
      expect(group.stdout).toMatch(/^Usage: orderops keys/);
      // No data directory, no development secrets: nothing read or written the configuration.
      expect(readdirSync(cwd)).toEqual([]);
    },
    CLI_BUDGET,
  );

  it(
    '--version and -V print the package version and nothing else',
    () => {
      expect(CLI_VERSION).toBe(pkg.version);
      for (const flag of ['--version', '-V']) {
        const res = run([flag]);
        expect(res.status).toBe(0);
        expect(res.stdout).toBe(`${pkg.version}\n`);
        expect(res.stderr).toBe('');
      }
      expect(readdirSync(cwd)).toEqual([]);
    },
    CLI_BUDGET,
  );

  it(
    'an unknown command, subcommand or option, or a missing argument: exit 1 and one error line',
    () => {
      const cases: [string[], string][] = [
        [['nope'], "orderops: unknown command 'nope'"],
        [['keys', 'nope'], "orderops: unknown command 'keys nope' (known: rotate, list)"],
        [['audit', 'verfy'], "orderops: unknown command 'audit verfy' (known: verify, checkpoint)"],
        [['keys', 'list', '--nope'], "orderops: unknown option '--nope'"],
        [['import'], "orderops: missing required argument 'file'"],
        [['operators', 'create', 'jdoe'], "orderops: required option '--scopes <scopes>' not specified"],
        [
          ['clients', 'create', 'x', '--scopes', 'orders:read,root'],
          'orderops: unknown scope(s): root; known:',
        ],
      ];
      for (const [args, message] of cases) {
        const res = run(args);
        expect(res.status, args.join(' ')).toBe(1);
        expect(oneErrorLine(res)).toContain(message);
        expect(res.stdout).toBe('');
      }
      expect(readdirSync(cwd)).toEqual([]);
    },
    CLI_BUDGET,
  );

  it(
    'a command that needs the configuration names every bad setting, one per line, without a stack',
    () => {
      const res = run(['keys', 'list']);
      expect(res.status).toBe(1);
      expect(res.stderr).not.toMatch(STACK_LINE);
      const [first, ...problems] = res.stderr.trimEnd().split('\n');
      expect(first).toMatch(/^orderops: Invalid configuration \(\d+ problems\):$/);
      expect(problems.length).toBeGreaterThan(0);
      for (const line of problems) expect(line).toMatch(/^ {2}- [A-Z_]+: /);
      expect(res.stderr).toContain('ORDEROPS_MASTER_KEYS: is required in production');
      expect(res.stdout).toBe('');
    },
    CLI_BUDGET,
  );

  it(
    'file errors name the path and the reason; a directory is "is a directory"',
    () => {
      const missing = join(files, 'missing.csv');
      const dir = join(files, 'a-directory');
      mkdirSync(dir);
      const notCheckpoint = join(files, 'not-a-checkpoint.json');
      writeFileSync(notCheckpoint, '{"seq":1}');
      const cases: [string[], string][] = [
        [['import', missing], `orderops: cannot read ${missing}: no such file`],
        [['import', dir], `orderops: cannot read ${dir}: is a directory`],
        [['audit', 'verify', '--checkpoint', missing], `orderops: cannot read ${missing}: no such file`],
        [['audit', 'verify', '--checkpoint', dir], `orderops: cannot read ${dir}: is a directory`],
        [
          ['audit', 'verify', '--checkpoint', notCheckpoint],
          `orderops: ${notCheckpoint} is not an OrderOps audit checkpoint`,
        ],
      ];
      for (const [args, message] of cases) {
        const res = run(args);
        expect(res.status, args.join(' ')).toBe(1);
        expect(oneErrorLine(res)).toBe(message);
        expect(res.stderr).not.toContain('upload');
      }
    },
    CLI_BUDGET,
  );

  it(
    'operators create refuses a username the API refuses, before asking for the password',
    () => {
      const cases: [string, string][] = [
        ['bad name', 'username may contain letters, digits, dot, underscore and hyphen'],
        ['jdoe@example', 'username may contain letters, digits, dot, underscore and hyphen'],
        ['ab', 'username must be 3-64 characters long'],
        ['a'.repeat(65), 'username must be 3-64 characters long'],
      ];
      for (const [username, message] of cases) {
        // The password on stdin would be read only after the username passed.
        const res = run(['operators', 'create', username, '--scopes', 'orders:read'], 'x\n');
        expect(res.status, username).toBe(1);
        expect(oneErrorLine(res)).toBe(`orderops: ${message}`);
      }
    },
    CLI_BUDGET,
  );
});
