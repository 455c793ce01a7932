import { type Scope } from '@orderops/access';
import { systemActor } from '@orderops/audit';
import { ClientsService } from '@orderops/auth';
import { GroupCommand } from './group-command.js';
import { CliRuntime } from '../cli-runtime.js';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { parseScopesOption } from './scopes-option.js';

@SubCommand({
  name: 'create',
  arguments: '<name>',
  description: 'Create a partner client (client_credentials); prints its secret once',
})
export class ClientsCreateCommand extends CommandRunner {
  constructor(private readonly runtime: CliRuntime) {
    super();
  }

  async run([name]: string[], options: { scopes: Scope[] }): Promise<void> {
    const { client, secret } = await (
      await this.runtime.get(ClientsService)
    ).create({ name, scopes: options.scopes }, systemActor('cli'));
    process.stdout.write(
      `client_id=${client.clientId}\nclient_secret=${secret}\n` +
        `scopes=${client.scopes.join(' ')}\nThe secret is shown once; only a keyed hash is stored.\n`,
    );
  }

  @Option({ flags: '--scopes <scopes>', description: 'comma-separated scopes, or "all"', required: true })
  parseScopes(value: string): Scope[] {
    return parseScopesOption(value);
  }
}

@Command({ name: 'clients', description: 'Manage OAuth clients', subCommands: [ClientsCreateCommand] })
export class ClientsCommand extends GroupCommand {}
