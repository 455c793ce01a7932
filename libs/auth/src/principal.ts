import type { AuditActor } from '@orderops/audit';
import type { Principal } from '@orderops/core';
export type { Principal, PrincipalType } from '@orderops/core';

/** The audit trail's name for a principal. */
export function auditActorOf(principal: Pick<Principal, 'type' | 'id'>): AuditActor {
  return { type: principal.type, id: principal.id };
}
