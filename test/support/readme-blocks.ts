import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Fenced blocks in these languages are shell a reader pastes into a terminal. */
const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell', 'console']);

/**
 * What the comment on the line before a block (blank lines between allowed) asks of the test:
 * `<!-- not run: <reason> -->` skips it (it needs what a test machine lacks, or it starts the
 * app); `<!-- run: with the API stopped ... -->` stops the API before it.
 */
export type BlockMarker = { kind: 'skip'; reason: string } | { kind: 'api-stopped' };

export interface ShellBlock {
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly text: string;
  readonly marker?: BlockMarker;
}

function markerOf(comment: string, line: number): BlockMarker {
  const notRun = /^<!--\s*not run:\s*(.*?)\s*-->$/.exec(comment);
  if (notRun) {
    if (notRun[1] === '') throw new Error(`line ${line}: "not run" needs a reason`);
    return { kind: 'skip', reason: notRun[1] };
  }
  if (/^<!--\s*run: with the API stopped\b.*-->$/.test(comment)) return { kind: 'api-stopped' };
  throw new Error(`line ${line}: unknown marker ${comment}`);
}

/** Every fenced shell block of `markdown`, in order, with the marker before it, if any. */
export function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`line ${i + 1}: unclosed fence`);
    if (SHELL_LANGUAGES.has(open[1])) {
      let before = i - 1;
      while (before >= 0 && lines[before].trim() === '') before--;
      const comment = before >= 0 ? lines[before].trim() : '';
      const marker = /^<!--\s*(not run|run):/.test(comment) ? markerOf(comment, before + 1) : undefined;
      blocks.push({ line: i + 1, text: lines.slice(i + 1, end).join('\n'), marker });
    }
    i = end;
  }
  return blocks;
}

/** PATH as a newcomer's shell has it: no project's node_modules/.bin (npm adds it for scripts). */
export function newcomerPath(path = process.env.PATH ?? ''): string {
  return path
    .split(delimiter)
    .filter((dir) => dir !== '' && !dir.split('/').includes('node_modules'))
    .join(delimiter);
}

export interface BlockRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs one block with bash in `cwd` as if typed into the same terminal as the blocks before
 * it: variables set by earlier blocks are there (they are carried in `state`), and a failing
 * command fails the block (`set -euo pipefail`, which a reader's eye applies by reading errors).
 */
export function runBlock(
  text: string,
  options: { cwd: string; state: string; env: Record<string, string>; timeoutMs?: number },
): BlockRun {
  const script = join(options.cwd, '.readme-block.sh');
  writeFileSync(
    script,
    [
      'set -euo pipefail',
      existsSync(options.state) ? `source ${JSON.stringify(options.state)}` : '',
      'set -a',
      text,
      'set +a',
      `export -p > ${JSON.stringify(options.state)}`,
      '',
    ].join('\n'),
  );
  const result = spawnSync('bash', [script], {
    cwd: options.cwd,
    env: options.env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
