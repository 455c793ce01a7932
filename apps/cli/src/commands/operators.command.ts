import { type Scope } from '@orderops/access';
import { systemActor } from '@orderops/audit';
import { OperatorsService, usernameRuleViolation } from '@orderops/auth';
import type { Command } from 'commander';
import { CliError } from '../cli.errors.js';
import type { CliRuntime } from '../cli-runtime.js';
import { groupCommand } from './group-command.js';
import { readSecret } from './read-secret.js';
import { parseScopesOption } from './scopes-option.js';

export function operatorsCommand(program: Command, runtime: CliRuntime): void {
  const operators = groupCommand(program, 'operators', 'Manage operators');
  operators
    .command('create')
    .argument('<username>')
    .description('Create an operator; the password is read from a prompt or standard input, never argv')
    .requiredOption('--scopes <scopes>', 'comma-separated scopes, or "all"', parseScopesOption)
    .action(async (username: string, options: { scopes: Scope[] }) => {
      // The API's rule, checked before the password prompt so a typo costs no typing.
      const violation = usernameRuleViolation(username);
      if (violation) throw new CliError(violation);
      const password = await readSecret('Password: ');
      const operator = await (
        await runtime.get(OperatorsService)
      ).create(username, password, options.scopes, systemActor('cli'));
      process.stdout.write(
        `Created operator ${operator.username} (${operator.id}) with scopes: ${operator.scopes.join(' ')}\n`,
      );
    });
}
