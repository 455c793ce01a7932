import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateImports1732800000000 implements MigrationInterface {
  name = 'CreateImports1732800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "imports" (
      "id" character varying(30) NOT NULL,
      "created_by" character varying(80) NOT NULL,
      "sha256" character(64),
      "status" character varying(16) NOT NULL,
      "strict" boolean NOT NULL,
      "allow_duplicate" boolean NOT NULL,
      "rows" integer NOT NULL DEFAULT '0',
      "accepted" integer NOT NULL DEFAULT '0',
      "rejected" integer NOT NULL DEFAULT '0',
      "orders" integer NOT NULL DEFAULT '0',
      "report" jsonb,
      "started_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "finished_at" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "PK_ea10c62f5eb1d75e83d8b5225db" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_imports_sha256" ON "imports" ("sha256")`);
    // Two concurrent uploads of one file: the second to commit fails here instead of
    // importing the file twice (allowDuplicate imports are outside the rule).
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_imports_sha256_completed" ON "imports" ("sha256")
      WHERE "status" = 'completed' AND NOT "allow_duplicate"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('imports');
  }
}
