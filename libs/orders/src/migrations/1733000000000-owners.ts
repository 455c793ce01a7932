import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Orders and imports belong to an owner (issue 11 §1): a partner client's own, or the
 * house's for operators. Rows from before owners existed go to the house.
 */
export class OrderOwners1733000000000 implements MigrationInterface {
  name = 'OrderOwners1733000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "orders" ADD "owner" character varying(100) NOT NULL DEFAULT 'house'`,
    );
    await queryRunner.query(
      `ALTER TABLE "imports" ADD "owner" character varying(100) NOT NULL DEFAULT 'house'`,
    );
    // New rows must name their owner: no default to fall back on silently.
    await queryRunner.query(`ALTER TABLE "orders" ALTER COLUMN "owner" DROP DEFAULT`);
    await queryRunner.query(`ALTER TABLE "imports" ALTER COLUMN "owner" DROP DEFAULT`);
    await queryRunner.query(`CREATE INDEX "IDX_orders_owner" ON "orders" ("owner", "id")`);
    // A file is a duplicate only of the same owner's earlier import.
    await queryRunner.query(`DROP INDEX "UQ_imports_sha256_completed"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_imports_sha256_completed" ON "imports" ("owner", "sha256")
      WHERE "status" = 'completed' AND NOT "allow_duplicate"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "UQ_imports_sha256_completed"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_imports_sha256_completed" ON "imports" ("sha256")
      WHERE "status" = 'completed' AND NOT "allow_duplicate"`);
    await queryRunner.query(`DROP INDEX "IDX_orders_owner"`);
    await queryRunner.query(`ALTER TABLE "orders" DROP COLUMN "owner"`);
    await queryRunner.query(`ALTER TABLE "imports" DROP COLUMN "owner"`);
  }
}
