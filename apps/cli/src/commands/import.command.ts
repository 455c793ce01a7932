import { HOUSE_REACH } from '@orderops/access';
import { systemActor } from '@orderops/audit';
import {
  ImportRejectedError,
  ImportsService,
  localFileSource,
  type ImportProgress,
  type ImportReport,
} from '@orderops/orders';
import { AppError } from '@orderops/core';
import { accessSync, constants, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { CliError, fileError } from '../cli.errors.js';
import type { Command } from 'commander';
import type { CliRuntime } from '../cli-runtime.js';

interface ImportCommandOptions {
  strict?: boolean;
  allowDuplicate?: boolean;
}

/** Rejected rows printed by the summary; the report keeps up to 1,000. */
const PRINTED_REJECTS = 20;

const number = (n: number): string => n.toLocaleString('en-US');

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** One self-overwriting stderr line: rows, rows/s and an ETA from the bytes read. */
class ProgressLine {
  private readonly started = Date.now();
  private last = 0;

  constructor(private readonly totalBytes: number) {}

  update(progress: ImportProgress): void {
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? progress.rows / seconds : 0;
    const fraction = this.totalBytes > 0 ? Math.min(1, progress.bytes / this.totalBytes) : 1;
    const eta = fraction > 0 ? (seconds / fraction) * (1 - fraction) : Number.NaN;
    process.stderr.write(
      `\rImporting: ${number(progress.rows)} rows, ${number(Math.round(rate))} rows/s, ` +
        `${Math.floor(fraction * 100)}%, ETA ${clock(eta)}   `,
    );
  }

  end(): void {
    process.stderr.write('\n');
  }
}

function printSummary(report: ImportReport, outcome: string): void {
  const lines = [
    `${outcome}: ${report.id}`,
    `rows ${report.rows}, accepted ${report.accepted}, rejected ${report.rejected}, orders ${report.orders}, ${report.durationMs} ms`,
    ...report.rejects
      .slice(0, PRINTED_REJECTS)
      .map((r) => `  line ${r.line}: ${r.errors.map((e) => e.message).join('; ')}`),
  ];
  const more = report.rejected - Math.min(report.rejected, PRINTED_REJECTS);
  if (more > 0) lines.push(`  ... and ${more} more rejected row(s); see GET /orders/imports/${report.id}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The file's size, once it is known to be a regular file this process may read. */
function readableFileSize(file: string): number {
  try {
    const stat = statSync(file);
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    accessSync(file, constants.R_OK);
    return stat.size;
  } catch (error) {
    throw fileError(file, error);
  }
}

/** The service speaks to HTTP clients (`allowDuplicate=true`, "the upload"); say it for the CLI. */
function inCliWords(error: unknown, file: string): unknown {
  if (!(error instanceof AppError)) return error;
  if (error.code === 'import-duplicate') {
    return new CliError(
      `${file} (same SHA-256) was imported before as ${String(error.extensions.importId)}; ` +
        'pass --allow-duplicate to import it again',
    );
  }
  if (error.code === 'import-interrupted')
    return new CliError(`cannot read ${file}: it could not be read to the end; nothing was imported`);
  return error;
}

async function importFile(runtime: CliRuntime, file: string, options: ImportCommandOptions): Promise<void> {
  const size = readableFileSize(file);
  const progress = process.stderr.isTTY === true ? new ProgressLine(size) : undefined;
  try {
    const report = await (
      await runtime.get(ImportsService)
    ).import(
      // The operating-system account is how a command-line run is attributed.
      {
        createdBy: `cli:${userInfo().username}`.slice(0, 80),
        actor: systemActor('cli'),
        reach: HOUSE_REACH,
      },
      localFileSource(file),
      {
        strict: options.strict === true,
        allowDuplicate: options.allowDuplicate === true,
        onProgress: progress ? (p) => progress.update(p) : undefined,
      },
    );
    progress?.end();
    printSummary(report, 'Imported');
  } catch (error) {
    progress?.end();
    if (!(error instanceof ImportRejectedError)) throw inCliWords(error, file);
    printSummary(error.report, 'Rejected (strict: nothing imported)');
    process.exitCode = 2;
  }
}

export function importCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('import')
    .argument('<file>')
    .description(
      'Import an order file (CSV) in one transaction; exit 0 done, 2 rows rejected under --strict (nothing imported), 1 error',
    )
    .option('--strict', 'any invalid row rejects the whole file')
    .option('--allow-duplicate', 'import a file even if it was imported before')
    .action((file: string, options: ImportCommandOptions) => importFile(runtime, file, options));
}
