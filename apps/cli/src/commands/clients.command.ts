import { type Scope } from '@orderops/access';
import { systemActor } from '@orderops/audit';
import {
  ClientsService,
  GRANT_TYPES,
  TOKEN_ENDPOINT_AUTH_METHODS,
  type GrantType,
  type OAuthClientEntity,
  type TokenEndpointAuthMethod,
} from '@orderops/auth';
import type { Command } from 'commander';
import type { CliRuntime } from '../cli-runtime.js';
import { CliError } from '../cli.errors.js';
import { groupCommand } from './group-command.js';
import { parseScopesOption } from './scopes-option.js';

/** The options `clients create` and `clients update` share: how a client signs people in. */
interface FlowOptions {
  redirectUri?: string[];
  postLogoutRedirectUri?: string[];
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  grantTypes?: GrantType[];
}

/** A repeatable option: each use adds one value (the URI rules are the service's). */
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function parseAuthMethod(value: string): TokenEndpointAuthMethod {
  const method = TOKEN_ENDPOINT_AUTH_METHODS.find((m) => m === value.trim());
  if (!method) {
    throw new CliError(
      `unknown token endpoint auth method: ${value}; known: ${TOKEN_ENDPOINT_AUTH_METHODS.join(', ')}`,
    );
  }
  return method;
}

function parseGrantTypes(value: string): GrantType[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const known = (name: string): name is GrantType => (GRANT_TYPES as readonly string[]).includes(name);
  const unknown = names.filter((name) => !known(name));
  if (unknown.length > 0)
    throw new CliError(`unknown grant type(s): ${unknown.join(', ')}; known: ${GRANT_TYPES.join(', ')}`);
  return names.filter(known);
}

function flowOptions(command: Command): Command {
  return command
    .option(
      '--redirect-uri <uri>',
      'a redirect URI for the authorization code flow (repeat for more; exact, https or loopback http)',
      collect,
    )
    .option(
      '--post-logout-redirect-uri <uri>',
      'where RP-initiated logout may return (repeat for more)',
      collect,
    )
    .option(
      '--token-endpoint-auth-method <method>',
      `${TOKEN_ENDPOINT_AUTH_METHODS.join(', ')} (none: a public client, without a secret)`,
      parseAuthMethod,
    )
    .option('--grant-types <grants>', `comma-separated: ${GRANT_TYPES.join(', ')}`, parseGrantTypes);
}

/** What a client signs people in with, one line each; URIs are configuration, not secrets. */
function describeFlows(client: OAuthClientEntity): string {
  return (
    `type=${client.type}\ntoken_endpoint_auth_method=${client.tokenEndpointAuthMethod}\n` +
    `grant_types=${client.grantTypes.join(' ')}\n` +
    client.redirectUris.map((uri) => `redirect_uri=${uri}\n`).join('') +
    client.postLogoutRedirectUris.map((uri) => `post_logout_redirect_uri=${uri}\n`).join('')
  );
}

export function clientsCommand(program: Command, runtime: CliRuntime): void {
  const clients = groupCommand(program, 'clients', 'Manage OAuth clients');
  flowOptions(
    clients
      .command('create')
      .argument('<name>')
      .description(
        'Create a partner client, as POST /admin/clients does: confidential with client_credentials by ' +
          'default (its secret printed once); with --redirect-uri a code-flow client; ' +
          '--token-endpoint-auth-method none makes it public (no secret)',
      )
      .requiredOption('--scopes <scopes>', 'comma-separated scopes, or "all"', parseScopesOption),
  ).action(async (name: string, options: FlowOptions & { scopes: Scope[] }) => {
    const { client, secret } = await (
      await runtime.get(ClientsService)
    ).register(
      {
        name,
        scopes: options.scopes,
        redirectUris: options.redirectUri,
        postLogoutRedirectUris: options.postLogoutRedirectUri,
        tokenEndpointAuthMethod: options.tokenEndpointAuthMethod,
        grantTypes: options.grantTypes,
      },
      systemActor('cli'),
    );
    process.stdout.write(
      `client_id=${client.clientId}\n` +
        (secret === null
          ? 'A public client: no secret; it identifies itself by client_id.\n'
          : `client_secret=${secret}\n`) +
        `scopes=${client.scopes.join(' ')}\n${describeFlows(client)}` +
        (secret === null ? '' : 'The secret is shown once; only a keyed hash is stored.\n'),
    );
  });
  flowOptions(
    clients
      .command('update')
      .argument('<client-id>')
      .description(
        'Change how a client signs people in, as PATCH /admin/clients/:clientId does: each given ' +
          'option replaces that list or value, the others stay',
      )
      .option('--no-post-logout-redirect-uris', 'remove every post-logout redirect URI'),
  ).action(async (clientId: string, options: FlowOptions & { postLogoutRedirectUris: boolean }) => {
    if (options.postLogoutRedirectUris === false && options.postLogoutRedirectUri !== undefined) {
      throw new CliError(
        '--no-post-logout-redirect-uris and --post-logout-redirect-uri contradict each other',
      );
    }
    const changes = {
      redirectUris: options.redirectUri,
      postLogoutRedirectUris: options.postLogoutRedirectUris === false ? [] : options.postLogoutRedirectUri,
      tokenEndpointAuthMethod: options.tokenEndpointAuthMethod,
      grantTypes: options.grantTypes,
    };
    if (Object.values(changes).every((value) => value === undefined)) {
      throw new CliError(
        'nothing to change: give --redirect-uri, --post-logout-redirect-uri, --token-endpoint-auth-method or --grant-types',
      );
    }
    const client = await (
      await runtime.get(ClientsService)
    ).updateFlows(clientId, changes, systemActor('cli'));
    process.stdout.write(`Updated client ${client.clientId}\n${describeFlows(client)}`);
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
