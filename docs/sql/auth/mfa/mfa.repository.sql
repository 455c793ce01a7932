-- Generated from libs/auth/src/mfa/mfa.repository.ts by `npm run sql:sync`. Review changes as code.

-- MfaRepository.getForCheck
SELECT secret_sealed, confirmed_at IS NOT NULL AS confirmed, last_used_step, failed_attempts,
       coalesce(locked_until > now(), false) AS locked
  FROM operator_mfa WHERE operator_id = $1 FOR UPDATE;

-- MfaRepository.recordFailures
UPDATE operator_mfa SET failed_attempts = $2,
        locked_until = CASE WHEN $3::integer IS NULL THEN locked_until
                            ELSE now() + make_interval(secs => $3::integer) END
  WHERE operator_id = $1;
