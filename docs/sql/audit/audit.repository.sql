-- Generated from libs/audit/src/audit.repository.ts by `npm run sql:sync`. Review changes as code.

-- AuditRepository.lockHead
SELECT "seq", "hash" FROM "audit_chain_head" WHERE "singleton" = 1 FOR UPDATE;

-- AuditRepository.getHead
SELECT "seq", "hash" FROM "audit_chain_head" WHERE "singleton" = 1;

-- AuditRepository.append
INSERT INTO "audit_events" ("seq", "id", "at", "actor", "actor_type", "action", "target_type",
    "target_id", "outcome", "request_id", "details", "prev_hash", "hash")
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13);

-- AuditRepository.claimThrottleKey
INSERT INTO "audit_throttle" ("key", "expires_at") VALUES ($1, $2) ON CONFLICT ("key") DO NOTHING RETURNING "key";
