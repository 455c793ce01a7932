import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAuth1732400000000 implements MigrationInterface {
  name = 'CreateAuth1732400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "oauth_clients" (
      "client_id" character varying(64) NOT NULL,
      "name" character varying(100) NOT NULL,
      "type" character varying(16) NOT NULL,
      "first_party" boolean NOT NULL DEFAULT false,
      "grant_types" text array NOT NULL,
      "scopes" text array NOT NULL,
      "secret_hash" character varying(64),
      "secret_key_version" integer,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_c5c4af500cc8bfc05500fff7f90" PRIMARY KEY ("client_id"))`);
    await queryRunner.query(`CREATE TABLE "signing_keys" (
      "kid" character varying(64) NOT NULL,
      "algorithm" character varying(10) NOT NULL,
      "public_jwk" jsonb NOT NULL,
      "private_key_sealed" text NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "retired_at" TIMESTAMP WITH TIME ZONE,
      "verify_until" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "PK_13362ac3e792c69417e1a53d355" PRIMARY KEY ("kid"))`);
    await queryRunner.query(`CREATE TABLE "operators" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "username" character varying(64) NOT NULL,
      "password_hash" text NOT NULL,
      "scopes" text array NOT NULL,
      "disabled_at" TIMESTAMP WITH TIME ZONE,
      "tokens_valid_after" TIMESTAMP WITH TIME ZONE NOT NULL,
      "failed_login_count" integer NOT NULL DEFAULT '0',
      "locked_until" TIMESTAMP WITH TIME ZONE,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_3d02b3692836893720335a79d1b" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_operators_username" ON "operators" ("username")`);
    await queryRunner.query(`CREATE TABLE "refresh_tokens" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "family_id" uuid NOT NULL,
      "token_hash" character varying(64) NOT NULL,
      "client_id" character varying(64) NOT NULL,
      "operator_id" uuid NOT NULL,
      "scopes" text array NOT NULL,
      "issued_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "family_issued_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "idle_expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "family_expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "used_at" TIMESTAMP WITH TIME ZONE,
      "revoked_at" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "PK_7d8bee0204106019488c4c50ffa" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_refresh_tokens_family" ON "refresh_tokens" ("family_id")`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_refresh_tokens_hash" ON "refresh_tokens" ("token_hash")`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_refresh_tokens_operator" ON "refresh_tokens" ("operator_id")`);
    await queryRunner.query(`CREATE TABLE "revoked_access_tokens" (
      "jti" uuid NOT NULL,
      "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      CONSTRAINT "PK_340815421be58a8330570a1d6fb" PRIMARY KEY ("jti"))`);
    await queryRunner.query(
      `CREATE INDEX "IDX_revoked_access_tokens_expires" ON "revoked_access_tokens" ("expires_at")`,
    );
    await queryRunner.query(`ALTER TABLE "refresh_tokens" ADD CONSTRAINT "FK_795771f59bffe508b60827b01eb"
      FOREIGN KEY ("client_id") REFERENCES "oauth_clients"("client_id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "refresh_tokens" ADD CONSTRAINT "FK_88cf6ae127b327bae5bf4f9b403"
      FOREIGN KEY ("operator_id") REFERENCES "operators"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'refresh_tokens',
      'revoked_access_tokens',
      'operators',
      'signing_keys',
      'oauth_clients',
    ]) {
      await queryRunner.dropTable(table);
    }
  }
}
