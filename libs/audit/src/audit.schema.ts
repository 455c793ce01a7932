import type { DatabaseSchema } from '@orderops/core';
import { AuditChainHeadEntity } from './audit-chain-head.entity.js';
import { AuditEventEntity } from './audit-event.entity.js';
import { AuditThrottleEntity } from './audit-throttle.entity.js';
import { CreateAudit1732500000000 } from './migrations/1732500000000-create-audit.js';

export const auditSchema: DatabaseSchema = {
  entities: [AuditEventEntity, AuditChainHeadEntity, AuditThrottleEntity],
  migrations: [CreateAudit1732500000000],
};
