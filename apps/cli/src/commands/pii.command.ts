import { systemActor } from '@orderops/audit';
import { CustomersService } from '@orderops/pii';
import { GroupCommand } from './group-command.js';
import { CliRuntime } from '../cli-runtime.js';
import { Command, CommandRunner, SubCommand } from 'nest-commander';

@SubCommand({
  name: 'rewrap',
  description:
    'Re-wrap every customer data key under the current master key (resumable; field data untouched)',
})
export class PiiRewrapCommand extends CommandRunner {
  constructor(private readonly runtime: CliRuntime) {
    super();
  }

  async run(): Promise<void> {
    const total = await (await this.runtime.get(CustomersService)).countStale();
    const tty = process.stderr.isTTY === true;
    const started = Date.now();
    let done = 0;
    for (;;) {
      const { rewrapped, remaining } = await (
        await this.runtime.get(CustomersService)
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
}

@Command({ name: 'pii', description: 'Personal-data vault operations', subCommands: [PiiRewrapCommand] })
export class PiiCommand extends GroupCommand {}
