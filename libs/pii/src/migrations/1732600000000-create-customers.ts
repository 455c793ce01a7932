import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCustomers1732600000000 implements MigrationInterface {
  name = 'CreateCustomers1732600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "customers" (
      "id" character varying(30) NOT NULL,
      "wrapped_dek" text,
      "kek_version" integer,
      "name_enc" text,
      "email_enc" text,
      "phone_enc" text,
      "address_enc" text,
      "email_bidx" character varying(64),
      "phone_bidx" character varying(64),
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "erased_at" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "PK_133ec679a801fab5e070f73d3ea" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_customers_kek_version" ON "customers" ("kek_version")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_customers_email_bidx" ON "customers" ("email_bidx")`);
    await queryRunner.query(`CREATE INDEX "IDX_customers_phone_bidx" ON "customers" ("phone_bidx")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "customers"`);
  }
}
