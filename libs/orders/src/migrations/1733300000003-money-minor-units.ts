import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Amounts in their currency's own minor units (issue 14 §4, ISO 4217): a fixed scale of 2
 * cannot hold 1.250 KWD and would print 1000 JPY as 1000.00. The columns keep the scale each
 * value is written with; the application writes prices and totals with exactly their
 * currency's decimals (see order-total.ts). Existing values keep their text (`12.30`).
 */
export class MoneyMinorUnits1733300000003 implements MigrationInterface {
  name = 'MoneyMinorUnits1733300000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "orders" ALTER COLUMN "total" TYPE numeric`);
    await queryRunner.query(`ALTER TABLE "order_items" ALTER COLUMN "unit_price" TYPE numeric`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "order_items" ALTER COLUMN "unit_price" TYPE numeric(9,2)`);
    await queryRunner.query(`ALTER TABLE "orders" ALTER COLUMN "total" TYPE numeric(16,2)`);
  }
}
