import { CommandRunner } from 'nest-commander';
import { CliError } from '../cli.errors.js';

/**
 * A command that only holds subcommands (`orderops keys`): alone it prints its help and
 * exits 0; followed by a word that is none of its subcommands it fails, naming the word.
 */
export abstract class GroupCommand extends CommandRunner {
  run(args: string[]): Promise<void> {
    if (args.length > 0) {
      const known = this.command.commands.map((c) => c.name()).join(', ');
      return Promise.reject(
        new CliError(`unknown command '${this.command.name()} ${args[0]}' (known: ${known})`),
      );
    }
    this.command.outputHelp();
    return Promise.resolve();
  }
}
