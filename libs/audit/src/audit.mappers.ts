import type { AuditEventEntity } from './audit-event.entity.js';
import type { AuditConsistencyProof, AuditInclusionProof, AuditVerification } from './audit-log.service.js';
import type { AuditPage } from './audit.service.js';
import type { ConsistencyProofResponse, InclusionProofResponse } from './dto/audit-log.dto.js';
import type {
  AuditEventPageResponse,
  AuditEventResponse,
  AuditVerificationResponse,
} from './dto/audit-events.dto.js';

export function toAuditEventResponse(event: AuditEventEntity): AuditEventResponse {
  return {
    seq: event.seq === null ? null : Number(event.seq),
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
    leafHash: event.leafHash,
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
    rootHash: result.rootHash,
    pending: result.pending,
    ...(result.brokenAt
      ? { brokenAt: { seq: Number(result.brokenAt.seq), reason: result.brokenAt.reason } }
      : {}),
  };
}

export function toInclusionProofResponse(proof: AuditInclusionProof): InclusionProofResponse {
  return { ...proof, seq: Number(proof.seq), treeSize: Number(proof.treeSize) };
}

export function toConsistencyProofResponse(proof: AuditConsistencyProof): ConsistencyProofResponse {
  return { ...proof, from: Number(proof.from), to: Number(proof.to) };
}
