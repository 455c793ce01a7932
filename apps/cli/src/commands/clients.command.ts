import { type Scope } from '@orderops/access';
import { systemActor } from '@orderops/audit';
import { ClientsService } from '@orderops/auth';
import type { Command } from 'commander';
import type { CliRuntime } from '../cli-runtime.js';
import { groupCommand } from './group-command.js';
import { parseScopesOption } from './scopes-option.js';

export function clientsCommand(program: Command, runtime: CliRuntime): void {
  const clients = groupCommand(program, 'clients', 'Manage OAuth clients');
  clients
    .command('create')
    .argument('<name>')
    .description('Create a partner client (client_credentials); prints its secret once')
    .requiredOption('--scopes <scopes>', 'comma-separated scopes, or "all"', parseScopesOption)
    .action(async (name: string, options: { scopes: Scope[] }) => {
      const { client, secret } = await (
        await runtime.get(ClientsService)
      ).create({ name, scopes: options.scopes }, systemActor('cli'));
      process.stdout.write(
        `client_id=${client.clientId}\nclient_secret=${secret}\n` +
          `scopes=${client.scopes.join(' ')}\nThe secret is shown once; only a keyed hash is stored.\n`,
      );
    });
}
