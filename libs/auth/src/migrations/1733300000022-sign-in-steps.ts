import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The second factor inside browser sign-in (issue 13 §4): the state between a passed password
 * and the code, server-side. Keyed by the SHA-256 of the pre-session cookie; no password, no
 * secret, minutes long, spent once.
 */
export class SignInSteps1733300000022 implements MigrationInterface {
  name = 'SignInSteps1733300000022';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "auth_sign_in_steps" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "pre_session_hash" character varying(64) NOT NULL,
      "operator_id" uuid NOT NULL,
      "client_id" character varying(64) NOT NULL,
      "stage" character varying(16) NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "used_at" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "PK_auth_sign_in_steps" PRIMARY KEY ("id"))`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_auth_sign_in_steps_pre_session" ON "auth_sign_in_steps" ("pre_session_hash")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_auth_sign_in_steps_operator" ON "auth_sign_in_steps" ("operator_id")`,
    );
    await queryRunner.query(`ALTER TABLE "auth_sign_in_steps" ADD CONSTRAINT "FK_auth_sign_in_steps_operator"
      FOREIGN KEY ("operator_id") REFERENCES "operators"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "auth_sign_in_steps"`);
  }
}
