export {
  checkpointHead,
  type CheckpointSignature,
  isTreeHead,
  parseAuditCheckpoint,
  type SignedAuditCheckpoint,
  signTreeHead,
  verifyAuditCheckpoint,
} from './audit-checkpoint.js';
export { AuditChainHeadEntity } from './audit-chain-head.entity.js';
export { MAX_DETAILS_BYTES, networkOf, sensitiveKeyReason, validateAuditDetails } from './audit-details.js';
export { AuditEventEntity } from './audit-event.entity.js';
export { AUDIT_GENESIS_HASH, chainedLeafHash, computeAuditHash, computeLeafHash } from './audit-hash.js';
export { AuditLog } from './audit-log.service.js';
export { AuditSequencer } from './audit-sequencer.js';
export { toAuditVerificationResponse } from './audit.mappers.js';
export { AuditCoreModule, AuditModule } from './audit.module.js';
export { AuditErrorCode } from './audit.errors.js';
export { auditSchema } from './audit.schema.js';
export {
  ANONYMOUS_ACTOR,
  type AuditActor,
  type AuditEventInput,
  AuditService,
  systemActor,
} from './audit.service.js';
export { TreeHeadSigner } from './tree-head-signer.js';
