import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every committed change to what an access token's standing depends on (revocations, the
 * clients, the operators' disabled flag and token cut-offs) sends one notification on
 * `orderops_token_standing`, whichever process or tool made it: each replica's cache of
 * standings (AccessTokensRepository) empties on it. Statement-level, so a bulk change is one
 * notification, and PostgreSQL folds repeats within a transaction into one.
 */
export class TokenStandingNotifications1733300000024 implements MigrationInterface {
  name = 'TokenStandingNotifications1733300000024';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE FUNCTION "orderops_token_standing_changed"() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('orderops_token_standing', '');
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`CREATE TRIGGER "token_standing_revocations"
      AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "revoked_access_tokens"
      FOR EACH STATEMENT EXECUTE FUNCTION "orderops_token_standing_changed"()`);
    await queryRunner.query(`CREATE TRIGGER "token_standing_clients"
      AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF "client_id" ON "oauth_clients"
      FOR EACH STATEMENT EXECUTE FUNCTION "orderops_token_standing_changed"()`);
    await queryRunner.query(`CREATE TRIGGER "token_standing_operators"
      AFTER INSERT OR DELETE OR TRUNCATE
        OR UPDATE OF "id", "disabled_at", "tokens_valid_after", "token_generation" ON "operators"
      FOR EACH STATEMENT EXECUTE FUNCTION "orderops_token_standing_changed"()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "token_standing_operators" ON "operators"`);
    await queryRunner.query(`DROP TRIGGER "token_standing_clients" ON "oauth_clients"`);
    await queryRunner.query(`DROP TRIGGER "token_standing_revocations" ON "revoked_access_tokens"`);
    await queryRunner.query(`DROP FUNCTION "orderops_token_standing_changed"()`);
  }
}
