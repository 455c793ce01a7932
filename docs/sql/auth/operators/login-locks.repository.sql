-- Generated from libs/auth/src/operators/login-locks.repository.ts by `npm run sql:sync`. Review changes as code.

-- LoginLocksRepository.isLocked
SELECT locked_until > now() AS locked FROM login_locks WHERE operator_id = $1 AND client_key = $2;

-- LoginLocksRepository.getForUpdate
INSERT INTO login_locks (operator_id, client_key) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- LoginLocksRepository.getForUpdate
SELECT failed_count, locked_until > now() AS locked,
       updated_at < now() - make_interval(secs => $3::integer) AS stale
  FROM login_locks WHERE operator_id = $1 AND client_key = $2 FOR UPDATE;

-- LoginLocksRepository.setFailures
UPDATE login_locks
    SET failed_count = $3, updated_at = now(),
        locked_until = CASE WHEN $4::integer IS NULL THEN NULL ELSE now() + make_interval(secs => $4::integer) END
  WHERE operator_id = $1 AND client_key = $2;
