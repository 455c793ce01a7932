import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The chain's genesis (AUDIT_GENESIS_HASH), fixed here as migrations never change. */
const GENESIS = '765134e38e285fe60a3c1e5e229e8136c0f6b9fef05611efec1904aeb4fdb241';

/**
 * The audit trail: `audit_events` (append-only, hash-chained), `audit_chain_head` (the row
 * appends lock to serialize) and `audit_throttle` (one-per-window keys of throttled events).
 *
 * Append-only is enforced twice:
 * - triggers refuse UPDATE and DELETE on every row and TRUNCATE on the table, for every
 *   role including the owner (only the owner can disable them, which leaves the chain to
 *   tell: `orderops audit verify`);
 * - privileges: in production, run migrations as the owning role and the API as a separate
 *   role named `orderops_app` holding only SELECT and INSERT on `audit_events` (plus
 *   SELECT/UPDATE on the head and SELECT/INSERT/DELETE on the throttle table). When that
 *   role exists, this migration applies those grants; elsewhere (development, the embedded
 *   database, CI) it does nothing.
 */
export class CreateAudit1732500000000 implements MigrationInterface {
  name = 'CreateAudit1732500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "audit_chain_head" (
      "singleton" smallint NOT NULL,
      "seq" bigint NOT NULL,
      "hash" character varying(64) NOT NULL,
      CONSTRAINT "CHK_audit_chain_head_singleton" CHECK ("singleton" = 1),
      CONSTRAINT "PK_3318630417d46843756191984d5" PRIMARY KEY ("singleton"))`);
    await queryRunner.query(`CREATE TABLE "audit_events" (
      "seq" bigint NOT NULL,
      "id" uuid NOT NULL,
      "at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "actor" character varying(128) NOT NULL,
      "actor_type" character varying(16) NOT NULL,
      "action" character varying(64) NOT NULL,
      "target_type" character varying(32),
      "target_id" character varying(128),
      "outcome" character varying(8) NOT NULL,
      "request_id" character varying(128),
      "details" jsonb NOT NULL,
      "prev_hash" character varying(64) NOT NULL,
      "hash" character varying(64) NOT NULL,
      CONSTRAINT "CHK_audit_events_actor_type" CHECK ("actor_type" IN ('operator', 'client', 'system', 'anonymous')),
      CONSTRAINT "CHK_audit_events_outcome" CHECK ("outcome" IN ('success', 'failure', 'denied')),
      CONSTRAINT "PK_6e299f5706e715265416fefe53e" PRIMARY KEY ("seq"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_audit_events_id" ON "audit_events" ("id")`);
    await queryRunner.query(`CREATE INDEX "IDX_audit_events_at" ON "audit_events" ("at")`);
    await queryRunner.query(`CREATE INDEX "IDX_audit_events_actor" ON "audit_events" ("actor")`);
    await queryRunner.query(`CREATE INDEX "IDX_audit_events_action" ON "audit_events" ("action")`);
    await queryRunner.query(`CREATE INDEX "IDX_audit_events_target" ON "audit_events" ("target_id")`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_audit_events_prev_hash" ON "audit_events" ("prev_hash")`,
    );
    await queryRunner.query(`CREATE TABLE "audit_throttle" (
      "key" character varying(64) NOT NULL,
      "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      CONSTRAINT "PK_9807dda328e3179adf4dd987625" PRIMARY KEY ("key"))`);
    await queryRunner.query(`CREATE INDEX "IDX_audit_throttle_expires" ON "audit_throttle" ("expires_at")`);

    await queryRunner.query(`INSERT INTO "audit_chain_head" ("singleton", "seq", "hash") VALUES (1, 0, $1)`, [
      GENESIS,
    ]);

    // Append-only: no role may change or remove an event, the table owner included.
    await queryRunner.query(`CREATE FUNCTION "audit_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(`CREATE TRIGGER "audit_events_no_update_delete"
      BEFORE UPDATE OR DELETE ON "audit_events" FOR EACH ROW EXECUTE FUNCTION "audit_refuse_change"()`);
    await queryRunner.query(`CREATE TRIGGER "audit_events_no_truncate"
      BEFORE TRUNCATE ON "audit_events" FOR EACH STATEMENT EXECUTE FUNCTION "audit_refuse_change"()`);
    await queryRunner.query(`CREATE TRIGGER "audit_chain_head_no_delete"
      BEFORE DELETE ON "audit_chain_head" FOR EACH ROW EXECUTE FUNCTION "audit_refuse_change"()`);
    await queryRunner.query(`CREATE TRIGGER "audit_chain_head_no_truncate"
      BEFORE TRUNCATE ON "audit_chain_head" FOR EACH STATEMENT EXECUTE FUNCTION "audit_refuse_change"()`);

    // The chain is extended only at its head: each new event follows the head exactly, and
    // the head only ever advances by one, onto an event that exists.
    await queryRunner.query(`CREATE FUNCTION "audit_events_check_append"() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE head record;
      BEGIN
        SELECT "seq", "hash" INTO head FROM "audit_chain_head" WHERE "singleton" = 1;
        IF NEW."seq" <> head."seq" + 1 OR NEW."prev_hash" <> head."hash" THEN
          RAISE EXCEPTION 'audit event does not follow the chain head' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER "audit_events_append_at_head"
      BEFORE INSERT ON "audit_events" FOR EACH ROW EXECUTE FUNCTION "audit_events_check_append"()`);
    // The head follows each insert in the same statement: one round trip less while the
    // writer holds the head's lock, and no writer can forget it.
    await queryRunner.query(`CREATE FUNCTION "audit_events_advance_head"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE "audit_chain_head" SET "seq" = NEW."seq", "hash" = NEW."hash" WHERE "singleton" = 1;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER "audit_events_advance_head"
      AFTER INSERT ON "audit_events" FOR EACH ROW EXECUTE FUNCTION "audit_events_advance_head"()`);
    await queryRunner.query(`CREATE FUNCTION "audit_chain_head_check_advance"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW."singleton" <> OLD."singleton" OR NEW."seq" <> OLD."seq" + 1 OR NOT EXISTS (
          SELECT 1 FROM "audit_events" WHERE "seq" = NEW."seq" AND "hash" = NEW."hash"
        ) THEN
          RAISE EXCEPTION 'audit chain head may only advance onto the next event' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER "audit_chain_head_advance_only"
      BEFORE UPDATE ON "audit_chain_head" FOR EACH ROW EXECUTE FUNCTION "audit_chain_head_check_advance"()`);

    // The production role (see above), when the database has one.
    await queryRunner.query(`DO $$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'orderops_app') THEN
          REVOKE ALL ON "audit_events" FROM orderops_app;
          GRANT SELECT, INSERT ON "audit_events" TO orderops_app;
          REVOKE ALL ON "audit_chain_head" FROM orderops_app;
          GRANT SELECT, UPDATE ON "audit_chain_head" TO orderops_app;
          REVOKE ALL ON "audit_throttle" FROM orderops_app;
          GRANT SELECT, INSERT, DELETE ON "audit_throttle" TO orderops_app;
        END IF;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "audit_throttle"`);
    await queryRunner.query(`DROP TABLE "audit_events"`);
    await queryRunner.query(`DROP TABLE "audit_chain_head"`);
    await queryRunner.query(`DROP FUNCTION "audit_chain_head_check_advance"()`);
    await queryRunner.query(`DROP FUNCTION "audit_events_advance_head"()`);
    await queryRunner.query(`DROP FUNCTION "audit_events_check_append"()`);
    await queryRunner.query(`DROP FUNCTION "audit_refuse_change"()`);
  }
}
