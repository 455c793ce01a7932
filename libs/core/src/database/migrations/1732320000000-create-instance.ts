import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateInstance1732320000000 implements MigrationInterface {
  name = 'CreateInstance1732320000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "orderops_instance" (
        "singleton" smallint NOT NULL DEFAULT 1,
        "instance_id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_orderops_instance" PRIMARY KEY ("singleton"),
        CONSTRAINT "CHK_orderops_instance_singleton" CHECK ("singleton" = 1)
      )`);
    await queryRunner.query(`INSERT INTO "orderops_instance" DEFAULT VALUES`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "orderops_instance"`);
  }
}
