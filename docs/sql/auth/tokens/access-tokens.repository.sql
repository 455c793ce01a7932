-- Generated from libs/auth/src/tokens/access-tokens.repository.ts by `npm run sql:sync`. Review changes as code.

-- STANDING_SQL
SELECT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = $1) AS revoked,
       EXISTS (SELECT 1 FROM oauth_clients WHERE client_id = $2) AS client,
       o.disabled_at IS NOT NULL AS disabled, o.tokens_valid_after AS valid_after,
       o.token_generation AS generation
  FROM (SELECT 1) AS one
  LEFT JOIN operators o ON $3::boolean AND o.id = $4::uuid;
