-- Generated from libs/auth/src/operators/operators.repository.ts by `npm run sql:sync`. Review changes as code.

-- OperatorsRepository.lockEnabledAdmins
SELECT id FROM operators WHERE disabled_at IS NULL AND 'admin' = ANY(scopes) ORDER BY id FOR UPDATE;

-- OperatorsRepository.incrementFailedLoginCount
UPDATE operators SET failed_login_count = LEAST(failed_login_count, $2::integer - 1) + 1 WHERE id = $1;

-- OperatorsRepository.extendLockedUntil
UPDATE operators SET locked_until = GREATEST(locked_until, now() + make_interval(secs => $2::integer)) WHERE id = $1;
