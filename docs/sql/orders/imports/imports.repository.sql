-- Generated from libs/orders/src/imports/imports.repository.ts by `npm run sql:sync`. Review changes as code.

-- ImportsRepository.lock
SELECT 1 FROM "imports" WHERE "id" = $1 FOR UPDATE;

-- ImportsRepository.getFirstCompleted
SELECT "id" FROM "imports" WHERE "owner" = $1 AND "sha256" = $2 AND "status" = 'completed'
  ORDER BY "started_at", "id" LIMIT 1;

-- ImportsRepository.failAbandoned
UPDATE "imports" SET "status" = 'failed', "finished_at" = now(),
    "report" = jsonb_build_object('id', "id", 'status', 'failed',
      'error', jsonb_build_object('code', 'import-abandoned', 'detail', 'The import stopped before it finished.'))
  WHERE "id" IN (SELECT "id" FROM "imports" WHERE "status" = 'running'
                   AND "started_at" < now() - $1::interval FOR UPDATE SKIP LOCKED);
