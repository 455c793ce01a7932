-- Generated from libs/pii/src/customers/customers.repository.ts by `npm run sql:sync`. Review changes as code.

-- GET_BY_IDS
SELECT ${STORED_COLUMNS} FROM "customers" WHERE "id" = ANY($1::varchar[]);

-- GET_IDS_BY_EMAIL_INDEXES
SELECT "id", "email_bidx" FROM "customers"
  WHERE "email_bidx" = ANY($1::varchar[]) AND "owner" = $2;

-- CREATE_MANY
INSERT INTO "customers" ("id", "wrapped_dek", "kek_version", "name_enc", "email_enc",
    "phone_enc", "address_enc", "email_bidx", "phone_bidx", "owner")
  SELECT t.*, $10 FROM unnest($1::varchar[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[],
    $7::text[], $8::varchar[], $9::varchar[]) AS t
  ON CONFLICT ("email_bidx", "owner") DO NOTHING
  RETURNING "id", "email_bidx", "created_at";

-- UPDATE_WRAPPED_KEYS
UPDATE "customers" AS c
  SET "wrapped_dek" = t.wrapped_dek, "kek_version" = t.kek_version, "updated_at" = now()
  FROM unnest($1::varchar[], $2::text[], $3::int[]) AS t(id, wrapped_dek, kek_version)
  WHERE c."id" = t.id;
