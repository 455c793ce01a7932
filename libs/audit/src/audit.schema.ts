import type { DatabaseSchema } from '@orderops/core';
import { AuditChainHeadEntity } from './audit-chain-head.entity.js';
import { AuditEventEntity } from './audit-event.entity.js';
import { AuditThrottleEntity } from './audit-throttle.entity.js';
import { AuditTreeHeadEntity, AuditTreeNodeEntity } from './audit-tree.entities.js';
import { CreateAudit1732500000000 } from './migrations/1732500000000-create-audit.js';
import { AuditMerkleLog1733300000023 } from './migrations/1733300000023-audit-merkle-log.js';

export const auditSchema: DatabaseSchema = {
  entities: [
    AuditEventEntity,
    AuditChainHeadEntity,
    AuditThrottleEntity,
    AuditTreeNodeEntity,
    AuditTreeHeadEntity,
  ],
  migrations: [CreateAudit1732500000000, AuditMerkleLog1733300000023],
};
