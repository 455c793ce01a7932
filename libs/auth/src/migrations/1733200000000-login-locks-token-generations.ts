import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Brute-force locks per (operator, client address) instead of per operator, and a token
 * generation per operator that voids every earlier token the moment it changes (issue 11 §3).
 */
export class LoginLocksTokenGenerations1733200000000 implements MigrationInterface {
  name = 'LoginLocksTokenGenerations1733200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "login_locks" (
      "operator_id" uuid NOT NULL,
      "client_key" character varying(64) NOT NULL,
      "failed_count" integer NOT NULL DEFAULT '0',
      "locked_until" TIMESTAMP WITH TIME ZONE,
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_login_locks" PRIMARY KEY ("operator_id", "client_key"))`);
    await queryRunner.query(`ALTER TABLE "login_locks" ADD CONSTRAINT "FK_login_locks_operator"
      FOREIGN KEY ("operator_id") REFERENCES "operators"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "operators" ADD "token_generation" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(
      `ALTER TABLE "refresh_tokens" ADD "operator_generation" integer NOT NULL DEFAULT '0'`,
    );
    // Families the old rule (started before the operator's cut-off) had already voided stay
    // void under the new rule (generation equal), which no longer looks at the cut-off.
    await queryRunner.query(`UPDATE "refresh_tokens" AS r SET "revoked_at" = now()
      FROM "operators" AS o
      WHERE r."operator_id" = o."id" AND r."revoked_at" IS NULL AND r."family_issued_at" < o."tokens_valid_after"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "refresh_tokens" DROP COLUMN "operator_generation"`);
    await queryRunner.query(`ALTER TABLE "operators" DROP COLUMN "token_generation"`);
    await queryRunner.query(`DROP TABLE "login_locks"`);
  }
}
