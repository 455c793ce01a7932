import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Clients gain what the authorization code flow needs (issue 13 §1): their registered
 * redirect URIs and post-logout redirect URIs (exact strings) and how they authenticate at
 * the token endpoint. Public clients (the built-in apps) are `none`; confidential ones keep
 * a secret. The built-in apps gain the authorization_code grant.
 */
export class ClientRedirects1733300000010 implements MigrationInterface {
  name = 'ClientRedirects1733300000010';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "oauth_clients"
      ADD "redirect_uris" text array NOT NULL DEFAULT '{}',
      ADD "post_logout_redirect_uris" text array NOT NULL DEFAULT '{}',
      ADD "token_endpoint_auth_method" character varying(32) NOT NULL DEFAULT 'client_secret_basic'`);
    await queryRunner.query(
      `UPDATE "oauth_clients" SET "token_endpoint_auth_method" = 'none' WHERE "type" = 'public'`,
    );
    await queryRunner.query(`UPDATE "oauth_clients"
      SET "grant_types" = array_append("grant_types", 'authorization_code')
      WHERE "client_id" IN ('orderops-web', 'orderops-docs')
        AND NOT ('authorization_code' = ANY ("grant_types"))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE "oauth_clients"
      SET "grant_types" = array_remove("grant_types", 'authorization_code')
      WHERE "client_id" IN ('orderops-web', 'orderops-docs')`);
    await queryRunner.query(`ALTER TABLE "oauth_clients"
      DROP COLUMN "token_endpoint_auth_method",
      DROP COLUMN "post_logout_redirect_uris",
      DROP COLUMN "redirect_uris"`);
  }
}
