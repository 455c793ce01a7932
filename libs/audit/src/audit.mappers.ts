import type { AuditEventEntity } from './audit-event.entity.js';
import type { AuditPage, AuditVerification } from './audit.service.js';
import type {
  AuditEventPageResponse,
  AuditEventResponse,
  AuditVerificationResponse,
} from './dto/audit-events.dto.js';

export function toAuditEventResponse(event: AuditEventEntity): AuditEventResponse {
  return {
    seq: Number(event.seq),
    id: event.id,
    at: event.at.toISOString(),
    actor: event.actor,
    actorType: event.actorType,
    action: event.action,
    targetType: event.targetType,
    targetId: event.targetId,
    outcome: event.outcome,
    requestId: event.requestId,
    details: { ...event.details },
    prevHash: event.prevHash,
    hash: event.hash,
  };
}

export function toAuditEventPageResponse(page: AuditPage): AuditEventPageResponse {
  return { items: page.events.map(toAuditEventResponse), nextCursor: page.nextCursor };
}

export function toAuditVerificationResponse(result: AuditVerification): AuditVerificationResponse {
  return {
    valid: result.valid,
    checked: result.checked,
    lastSeq: Number(result.lastSeq),
    lastHash: result.lastHash,
    ...(result.brokenAt
      ? { brokenAt: { seq: Number(result.brokenAt.seq), reason: result.brokenAt.reason } }
      : {}),
  };
}
