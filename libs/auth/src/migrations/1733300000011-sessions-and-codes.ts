import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Browser sign-in (issue 13 §1-2): server-side sessions behind the session cookie, and the
 * authorization codes /oauth/authorize issues from them. Only hashes of the cookie value and
 * of the code are stored; both carry 256 random bits, so SHA-256 is enough.
 */
export class SessionsAndCodes1733300000011 implements MigrationInterface {
  name = 'SessionsAndCodes1733300000011';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "auth_sessions" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "secret_hash" character varying(64) NOT NULL,
      "operator_id" uuid NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "idle_expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "auth_time" TIMESTAMP WITH TIME ZONE NOT NULL,
      "amr" text array NOT NULL,
      "revoked_at" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "PK_auth_sessions" PRIMARY KEY ("id"))`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_auth_sessions_secret" ON "auth_sessions" ("secret_hash")`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_auth_sessions_operator" ON "auth_sessions" ("operator_id")`);
    await queryRunner.query(`ALTER TABLE "auth_sessions" ADD CONSTRAINT "FK_auth_sessions_operator"
      FOREIGN KEY ("operator_id") REFERENCES "operators"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`CREATE TABLE "authorization_codes" (
      "code_hash" character varying(64) NOT NULL,
      "client_id" character varying(64) NOT NULL,
      "operator_id" uuid NOT NULL,
      "session_id" uuid NOT NULL,
      "redirect_uri" text NOT NULL,
      "redirect_uri_in_request" boolean NOT NULL,
      "code_challenge" character varying(128) NOT NULL,
      "scopes" text array NOT NULL,
      "openid" boolean NOT NULL DEFAULT false,
      "nonce" character varying(256),
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "used_at" TIMESTAMP WITH TIME ZONE,
      "access_jti" uuid,
      "access_expires_at" TIMESTAMP WITH TIME ZONE,
      "refresh_family_id" uuid,
      CONSTRAINT "PK_authorization_codes" PRIMARY KEY ("code_hash"))`);
    await queryRunner.query(
      `CREATE INDEX "IDX_authorization_codes_expires" ON "authorization_codes" ("expires_at")`,
    );
    for (const [column, table, name] of [
      ['client_id', 'oauth_clients("client_id")', 'FK_authorization_codes_client'],
      ['operator_id', 'operators("id")', 'FK_authorization_codes_operator'],
      ['session_id', 'auth_sessions("id")', 'FK_authorization_codes_session'],
    ]) {
      await queryRunner.query(`ALTER TABLE "authorization_codes" ADD CONSTRAINT "${name}"
        FOREIGN KEY ("${column}") REFERENCES ${table} ON DELETE CASCADE ON UPDATE NO ACTION`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "authorization_codes"`);
    await queryRunner.query(`DROP TABLE "auth_sessions"`);
  }
}
