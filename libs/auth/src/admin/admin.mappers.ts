import { isScope } from '@orderops/access';
import type { OAuthClientEntity } from '../clients/oauth-client.entity.js';
import type { OperatorEntity } from '../operators/operator.entity.js';
import type { ClientResponse, OperatorResponse } from './admin.dto.js';

export function toOperatorResponse(operator: OperatorEntity, now = new Date()): OperatorResponse {
  return {
    id: operator.id,
    username: operator.username,
    scopes: operator.scopes.filter(isScope),
    disabled: operator.disabledAt !== null,
    locked: operator.lockedUntil !== null && operator.lockedUntil > now,
    createdAt: operator.createdAt.toISOString(),
    updatedAt: operator.updatedAt.toISOString(),
  };
}

export function toClientResponse(client: OAuthClientEntity): ClientResponse {
  return {
    clientId: client.clientId,
    name: client.name,
    type: client.type,
    firstParty: client.firstParty,
    grantTypes: [...client.grantTypes],
    scopes: client.scopes.filter(isScope),
    tokenEndpointAuthMethod: client.tokenEndpointAuthMethod,
    redirectUris: [...client.redirectUris],
    postLogoutRedirectUris: [...client.postLogoutRedirectUris],
    createdAt: client.createdAt.toISOString(),
  };
}
