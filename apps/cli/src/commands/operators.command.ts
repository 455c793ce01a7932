import { type Scope } from '@orderops/access';
import { systemActor } from '@orderops/audit';
import { OperatorsService } from '@orderops/auth';
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
  constructor(private readonly operators: OperatorsService) {
    super();
  }

  async run([username]: string[], options: CreateOptions): Promise<void> {
    const password = await readSecret('Password: ');
    const operator = await this.operators.create(username, password, options.scopes, systemActor('cli'));
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
export class OperatorsCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}
