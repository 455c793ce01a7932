import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The TOTP second factor (issue 13 §4): one secret per operator, sealed under the master key
 * (re-sealed at start after a master-key rotation, like signing keys), pending until a valid
 * code confirms it; the last accepted time step, so a code is accepted once; a per-operator
 * failure count and lock against guessing. Recovery codes are stored only as SHA-256 hashes.
 */
export class OperatorMfa1733300000020 implements MigrationInterface {
  name = 'OperatorMfa1733300000020';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "operator_mfa" (
      "operator_id" uuid NOT NULL,
      "secret_sealed" text NOT NULL,
      "confirmed_at" TIMESTAMP WITH TIME ZONE,
      "last_used_step" bigint,
      "failed_attempts" integer NOT NULL DEFAULT '0',
      "locked_until" TIMESTAMP WITH TIME ZONE,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_operator_mfa" PRIMARY KEY ("operator_id"))`);
    await queryRunner.query(`ALTER TABLE "operator_mfa" ADD CONSTRAINT "FK_operator_mfa_operator"
      FOREIGN KEY ("operator_id") REFERENCES "operators"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`CREATE TABLE "mfa_recovery_codes" (
      "operator_id" uuid NOT NULL,
      "code_hash" character varying(64) NOT NULL,
      "used_at" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "PK_mfa_recovery_codes" PRIMARY KEY ("operator_id", "code_hash"))`);
    await queryRunner.query(`ALTER TABLE "mfa_recovery_codes" ADD CONSTRAINT "FK_mfa_recovery_codes_operator"
      FOREIGN KEY ("operator_id") REFERENCES "operators"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "mfa_recovery_codes"`);
    await queryRunner.query(`DROP TABLE "operator_mfa"`);
  }
}
