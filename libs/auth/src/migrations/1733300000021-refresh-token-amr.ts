import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How the sign-in that started a refresh family was authenticated (RFC 8176 `amr`), so a
 * refresh grants the scopes that need the second factor (ORDEROPS_MFA_REQUIRED_SCOPES) only to
 * a family whose sign-in passed it, even when the setting was switched on after the family
 * started. Every family so far came from the password grant: `{pwd}`. No default afterwards:
 * whoever starts a family says how its sign-in went.
 */
export class RefreshTokenAmr1733300000021 implements MigrationInterface {
  name = 'RefreshTokenAmr1733300000021';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "refresh_tokens" ADD "amr" text array NOT NULL DEFAULT '{pwd}'`);
    await queryRunner.query(`ALTER TABLE "refresh_tokens" ALTER COLUMN "amr" DROP DEFAULT`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "refresh_tokens" DROP COLUMN "amr"`);
  }
}
