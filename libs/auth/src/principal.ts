import { type Principal } from '@orderops/access';
import type { AuditActor } from '@orderops/audit';

/** The audit trail's name for a principal. */
export function auditActorOf(principal: Pick<Principal, 'type' | 'id'>): AuditActor {
  return { type: principal.type, id: principal.id };
}
