import { type Scope } from '@orderops/access';
import { systemActor } from '@orderops/audit';
import { OperatorsService, usernameRuleViolation } from '@orderops/auth';
import { CliError } from '../cli.errors.js';
import { GroupCommand } from './group-command.js';
import { CliRuntime } from '../cli-runtime.js';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { readSecret } from './read-secret.js';
import { parseScopesOption } from './scopes-option.js';

interface CreateOptions {
  scopes: Scope[];
}

@SubCommand({
  name: 'create',
  arguments: '<username>',
  description: 'Create an operator; the password is read from a prompt or standard input, never argv',
})
export class OperatorsCreateCommand extends CommandRunner {
  constructor(private readonly runtime: CliRuntime) {
    super();
  }

  async run([username]: string[], options: CreateOptions): Promise<void> {
    // The API's rule, checked before the password prompt so a typo costs no typing.
    const violation = usernameRuleViolation(username);
    if (violation) throw new CliError(violation);
    const password = await readSecret('Password: ');
    const operator = await (
      await this.runtime.get(OperatorsService)
    ).create(username, password, options.scopes, systemActor('cli'));
    process.stdout.write(
      `Created operator ${operator.username} (${operator.id}) with scopes: ${operator.scopes.join(' ')}\n`,
    );
  }

  @Option({ flags: '--scopes <scopes>', description: 'comma-separated scopes, or "all"', required: true })
  parseScopes(value: string): Scope[] {
    return parseScopesOption(value);
  }
}

@Command({ name: 'operators', description: 'Manage operators', subCommands: [OperatorsCreateCommand] })
export class OperatorsCommand extends GroupCommand {}
