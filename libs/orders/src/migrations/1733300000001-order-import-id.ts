import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The import that created an order (issue 14 §4), so that a partner finds an import's
 * orders with GET /orders?importId=. Null for orders from POST /orders and for those
 * imported before this column existed. No foreign key: an import's row is bookkeeping
 * written outside the import's transaction, and orders must not depend on it.
 */
export class OrderImportId1733300000001 implements MigrationInterface {
  name = 'OrderImportId1733300000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "orders" ADD "import_id" character varying(30)`);
    await queryRunner.query(`CREATE INDEX "IDX_orders_import" ON "orders" ("import_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_orders_import"`);
    await queryRunner.query(`ALTER TABLE "orders" DROP COLUMN "import_id"`);
  }
}
