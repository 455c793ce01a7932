import type { Command } from 'commander';
import { CliError } from '../cli.errors.js';

/**
 * A command that only holds subcommands (`orderops keys`): alone it prints its help and
 * exits 0; followed by a word that is none of its subcommands it fails, naming the word.
 */
export function groupCommand(parent: Command, name: string, description: string): Command {
  const group = parent.command(name).description(description).allowExcessArguments(true);
  group.action((_options: object, command: Command) => {
    const [word] = command.args;
    if (word !== undefined) {
      const known = command.commands.map((c) => c.name()).join(', ');
      throw new CliError(`unknown command '${command.name()} ${word}' (known: ${known})`);
    }
    command.outputHelp();
  });
  return group;
}
