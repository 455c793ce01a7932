import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Client secrets rotate with an overlap window (issue 14 §4): the secret a rotation replaces
 * stays valid until `previous_secret_expires_at`, so a partner can roll its deployments over
 * without an outage. One previous secret at a time, hashed like the current one (a keyed
 * HMAC under the master key version beside it).
 */
export class ClientPreviousSecret1733300000004 implements MigrationInterface {
  name = 'ClientPreviousSecret1733300000004';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "oauth_clients"
      ADD "previous_secret_hash" character varying(64),
      ADD "previous_secret_key_version" integer,
      ADD "previous_secret_expires_at" TIMESTAMP WITH TIME ZONE`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "oauth_clients"
      DROP COLUMN "previous_secret_expires_at",
      DROP COLUMN "previous_secret_key_version",
      DROP COLUMN "previous_secret_hash"`);
  }
}
