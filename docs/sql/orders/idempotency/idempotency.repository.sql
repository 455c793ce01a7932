-- Generated from libs/orders/src/idempotency/idempotency.repository.ts by `npm run sql:sync`. Review changes as code.

-- IdempotencyRepository.claim
INSERT INTO "idempotency_keys" ("principal", "idempotency_key", "request_hash", "order_id", "expires_at")
  VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1;
