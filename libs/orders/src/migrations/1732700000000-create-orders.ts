import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOrders1732700000000 implements MigrationInterface {
  name = 'CreateOrders1732700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "orders" (
      "id" character varying(30) NOT NULL,
      "customer_id" character varying(30),
      "status" character varying(16) NOT NULL,
      "currency" character(3) NOT NULL,
      "total" numeric(16,2) NOT NULL,
      "note" character varying(500),
      "created_by" character varying(80) NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "version" integer NOT NULL,
      CONSTRAINT "PK_710e2d4957aa5878dfe94e4ac2f" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_orders_customer" ON "orders" ("customer_id")`);
    await queryRunner.query(`CREATE INDEX "IDX_orders_created" ON "orders" ("created_at", "id")`);
    await queryRunner.query(`CREATE TABLE "order_items" (
      "order_id" character varying(30) NOT NULL,
      "position" smallint NOT NULL,
      "product" character varying(200) NOT NULL,
      "unit_price" numeric(9,2) NOT NULL,
      "quantity" integer NOT NULL,
      CONSTRAINT "PK_97a28aea50c08a60afa644ddf11" PRIMARY KEY ("order_id", "position"))`);
    await queryRunner.query(`ALTER TABLE "order_items" ADD CONSTRAINT "FK_145532db85752b29c57d2b7b1f1"
      FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`CREATE TABLE "idempotency_keys" (
      "principal" character varying(80) NOT NULL,
      "idempotency_key" character varying(255) NOT NULL,
      "request_hash" character varying(64) NOT NULL,
      "order_id" character varying(30),
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      CONSTRAINT "PK_6fe20eb3f85833ebe70d1248714" PRIMARY KEY ("principal", "idempotency_key"))`);
    await queryRunner.query(
      `CREATE INDEX "IDX_idempotency_keys_expires" ON "idempotency_keys" ("expires_at")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['idempotency_keys', 'order_items', 'orders']) await queryRunner.dropTable(table);
  }
}
