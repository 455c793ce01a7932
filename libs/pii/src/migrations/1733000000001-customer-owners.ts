import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Customers belong to an owner (issue 11 §1), and an email is unique per owner: a partner
 * posting another partner's customer's email gets a customer of its own. Existing rows go
 * to the house. Email first in the index, so an operator's lookup across owners uses it too.
 */
export class CustomerOwners1733000000001 implements MigrationInterface {
  name = 'CustomerOwners1733000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "customers" ADD "owner" character varying(100) NOT NULL DEFAULT 'house'`,
    );
    await queryRunner.query(`ALTER TABLE "customers" ALTER COLUMN "owner" DROP DEFAULT`);
    await queryRunner.query(`DROP INDEX "UQ_customers_email_bidx"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_customers_email_bidx_owner" ON "customers" ("email_bidx", "owner")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "UQ_customers_email_bidx_owner"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_customers_email_bidx" ON "customers" ("email_bidx")`);
    await queryRunner.query(`ALTER TABLE "customers" DROP COLUMN "owner"`);
  }
}
