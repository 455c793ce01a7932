import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A partner's own order number on its orders (issue 14 §4), so that it can reconcile
 * without keeping our ids. Optional, and unique per owner: the same number under two
 * owners is two partners' business. PostgreSQL's unique index lets any number of NULLs in.
 */
export class OrderExternalRef1733300000000 implements MigrationInterface {
  name = 'OrderExternalRef1733300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "orders" ADD "external_ref" character varying(64)`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_orders_owner_external_ref" ON "orders" ("owner", "external_ref")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "UQ_orders_owner_external_ref"`);
    await queryRunner.query(`ALTER TABLE "orders" DROP COLUMN "external_ref"`);
  }
}
