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
  clients
    .command('list')
    .description('List OAuth clients: client id, name, type, scopes')
    .action(async () => {
      for (const client of await (await runtime.get(ClientsService)).list())
        process.stdout.write(
          `${client.clientId}  ${client.name}  ${client.type}  scopes: ${client.scopes.join(' ') || '(none)'}\n`,
        );
    });
  clients
    .command('delete')
    .argument('<client-id>')
    .description(
      'Delete a partner client, as DELETE /admin/clients/:clientId does: its tokens stop working (never a built-in client)',
    )
    .action(async (clientId: string) => {
      await (await runtime.get(ClientsService)).delete(clientId, systemActor('cli'));
      process.stdout.write(`Deleted client ${clientId}; its tokens no longer work\n`);
    });
}
