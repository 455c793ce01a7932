-- Generated from libs/audit/src/audit.repository.ts by `npm run sql:sync`. Review changes as code.

-- AuditRepository.getChainHead
SELECT "seq", "hash" FROM "audit_chain_head" WHERE "singleton" = 1;

-- AuditRepository.insertEvents
INSERT INTO "audit_events" ("id", "at", "actor", "actor_type", "action", "target_type",
    "target_id", "outcome", "request_id", "details", "leaf_hash")
  SELECT e.id, e.at, e.actor, e.actor_type, e.action, e.target_type, e.target_id, e.outcome,
    e.request_id, e.details, e.leaf_hash
  FROM unnest($1::uuid[], $2::timestamptz[], $3::varchar[], $4::varchar[], $5::varchar[],
    $6::varchar[], $7::varchar[], $8::varchar[], $9::varchar[], $10::jsonb[], $11::varchar[])
    WITH ORDINALITY AS e(id, at, actor, actor_type, action, target_type, target_id, outcome,
      request_id, details, leaf_hash, n)
  ORDER BY e.n;

-- AuditRepository.tryLockSequencer
SELECT pg_try_advisory_xact_lock(${SEQUENCER_LOCK_KEY}) AS "locked";

-- AuditRepository.latestTreeHead
SELECT "tree_size", "root_hash", "at" FROM "audit_tree_heads" ORDER BY "tree_size" DESC LIMIT 1;

-- AuditRepository.treeHeadsBetween
SELECT "tree_size", "root_hash", "at" FROM "audit_tree_heads"
  WHERE "tree_size" > $1 AND "tree_size" <= $2 ORDER BY "tree_size";

-- AuditRepository.maxSeq
SELECT max("seq") AS "max" FROM "audit_events";

-- AuditRepository.unsequenced
SELECT "arrival", "leaf_hash", "at" FROM "audit_events" WHERE "seq" IS NULL ORDER BY "arrival" LIMIT $1;

-- AuditRepository.hasUnsequenced
SELECT EXISTS (SELECT 1 FROM "audit_events" WHERE "seq" IS NULL) AS "waiting";

-- AuditRepository.countUnsequenced
SELECT count(*) AS "count" FROM "audit_events" WHERE "seq" IS NULL;

-- AuditRepository.assignSeqs
UPDATE "audit_events" AS e SET "seq" = v.seq
  FROM unnest($1::bigint[], $2::bigint[]) AS v(arrival, seq)
  WHERE e."arrival" = v.arrival AND e."seq" IS NULL;

-- AuditRepository.leafHashes
SELECT "leaf_hash" FROM "audit_events" WHERE "seq" >= $1 AND "seq" <= $2 ORDER BY "seq";

-- AuditRepository.nodeHashes
SELECT "seq", "leaf_hash" FROM "audit_events" WHERE "seq" = ANY($1::bigint[]);

-- AuditRepository.nodeHashes
SELECT n."level", n."idx", n."hash" FROM "audit_tree_nodes" AS n
  JOIN unnest($1::smallint[], $2::bigint[]) AS r(level, idx) ON n."level" = r.level AND n."idx" = r.idx;

-- AuditRepository.insertNodes
INSERT INTO "audit_tree_nodes" ("level", "idx", "hash")
  SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::varchar[]);

-- AuditRepository.insertTreeHead
INSERT INTO "audit_tree_heads" ("tree_size", "root_hash", "at") VALUES ($1, $2, $3);

-- AuditRepository.claimThrottleKey
INSERT INTO "audit_throttle" ("key", "expires_at") VALUES ($1, $2) ON CONFLICT ("key") DO NOTHING RETURNING "key";
