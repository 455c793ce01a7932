import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Client names are unique, compared without case and surrounding spaces (issue 14 §4): an
 * admin reading a list of clients, audit events or a partner's support request must know
 * which client is meant. Names already shared before this migration keep the oldest as it
 * is; each later one gets its client id appended, so the upgrade never fails and the
 * admin can rename with the ids in view.
 */
export class UniqueClientNames1733300000002 implements MigrationInterface {
  name = 'UniqueClientNames1733300000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE "oauth_clients" AS c
      SET "name" = left(c."name", 100 - length(c."client_id") - 3) || ' (' || c."client_id" || ')'
      WHERE EXISTS (SELECT 1 FROM "oauth_clients" AS o
                     WHERE lower(btrim(o."name")) = lower(btrim(c."name"))
                       AND (o."created_at", o."client_id") < (c."created_at", c."client_id"))`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_oauth_clients_name" ON "oauth_clients" (lower(btrim("name")))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "UQ_oauth_clients_name"`);
  }
}
