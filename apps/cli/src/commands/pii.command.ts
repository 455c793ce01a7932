import { systemActor } from '@orderops/audit';
import { CustomersService } from '@orderops/pii';
import type { Command } from 'commander';
import type { CliRuntime } from '../cli-runtime.js';
import { groupCommand } from './group-command.js';

async function rewrap(runtime: CliRuntime): Promise<void> {
  const total = await (await runtime.get(CustomersService)).countStale();
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  let done = 0;
  for (;;) {
    const { rewrapped, remaining } = await (
      await runtime.get(CustomersService)
    ).rewrapBatch(systemActor('cli'));
    done += rewrapped;
    if (tty) {
      const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
      process.stderr.write(`\rRe-wrapping data keys: ${done}/${total} (${percent}%)`);
    }
    if (rewrapped === 0 || remaining === 0) break;
  }
  if (tty) process.stderr.write('\n');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `Re-wrapped ${done} data key(s) in ${seconds} s; none left under an older master key.\n`,
  );
}

export function piiCommand(program: Command, runtime: CliRuntime): void {
  groupCommand(program, 'pii', 'Personal-data vault operations')
    .command('rewrap')
    .description(
      'Re-wrap every customer data key under the current master key (resumable; field data untouched)',
    )
    .action(() => rewrap(runtime));
}
