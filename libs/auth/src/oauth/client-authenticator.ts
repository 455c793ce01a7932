import { Injectable } from '@nestjs/common';
import { OAuthError } from '../auth.errors.js';
import { ClientsService } from '../clients/clients.service.js';
import type { OAuthClientEntity } from '../clients/oauth-client.entity.js';
import type { OAuthParams } from './oauth-params.js';

export interface AuthenticatedClient {
  readonly client: OAuthClientEntity;
  /** True when a secret was checked (confidential client); false for a public client by id. */
  readonly withSecret: boolean;
}

/** `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1). */
function parseBasic(header: string): { id: string; secret: string } | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+=*)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return undefined;
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replaceAll('+', ' ')),
    };
  } catch {
    return undefined;
  }
}

const badClient = (): OAuthError => new OAuthError('invalid_client', 'Client authentication failed.');

/**
 * Identifies the client of a token, revocation or introspection request:
 * client_secret_basic, client_secret_post (never both), or a public client by client_id.
 */
@Injectable()
export class ClientAuthenticator {
  constructor(private readonly clients: ClientsService) {}

  async authenticate(params: OAuthParams, authorization: string | undefined): Promise<AuthenticatedClient> {
    const postSecret = params.get('client_secret');
    const postId = params.get('client_id');
    if (authorization !== undefined) {
      if (postSecret !== undefined) {
        throw new OAuthError('invalid_request', 'Use one client authentication method, not two.');
      }
      const basic = parseBasic(authorization);
      if (!basic) throw badClient();
      if (postId !== undefined && postId !== basic.id) {
        throw new OAuthError('invalid_request', 'client_id does not match the authenticated client.');
      }
      // `Basic <id>:` with an empty secret is how some clients (Swagger UI among them)
      // name a public client; it identifies, it does not authenticate.
      if (basic.secret === '') return this.publicClient(basic.id, true);
      const client = await this.clients.authenticate(basic.id, basic.secret);
      if (!client) throw badClient();
      return { client, withSecret: true };
    }
    if (postId === undefined) throw badClient();
    if (postSecret !== undefined) {
      const client = await this.clients.authenticate(postId, postSecret);
      if (!client) throw badClient();
      return { client, withSecret: true };
    }
    return this.publicClient(postId, false);
  }

  /**
   * A public client by id alone; a confidential client must prove itself. The Basic
   * challenge goes only to a request that used the Authorization header (RFC 6749 §5.2),
   * so a browser posting a client_id never gets its login dialog.
   */
  private async publicClient(clientId: string, viaHeader: boolean): Promise<AuthenticatedClient> {
    const client = await this.clients.find(clientId);
    if (!client || client.type !== 'public') {
      throw new OAuthError('invalid_client', 'Client authentication failed.', 401, undefined, viaHeader);
    }
    return { client, withSecret: false };
  }
}
