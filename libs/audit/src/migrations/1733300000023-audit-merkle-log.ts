import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * From a hash chain to a Merkle log (RFC 9162 §2.1), so that appends take no shared lock.
 *
 * - `audit_events` gains `arrival` (a sequence value taken at insert: the order events are
 *   listed in, and the new primary key) and `leaf_hash` (SHA-256(0x00 || the event's
 *   canonical form), computed by the writer in its transaction). `seq` becomes nullable: a
 *   new event has none until the sequencer integrates it into the tree, once, after it
 *   committed. `prev_hash` and `hash` stay for the chained events already there.
 * - Chained events keep their hashes, still checked by `orderops audit verify`; each becomes
 *   the leaf SHA-256(0x00 || "orderops-audit-v1:" || hash), so the tree's first leaves commit
 *   to the whole old chain. The sequencer integrates them like any other leaf.
 * - `audit_tree_nodes` holds the hash of every complete perfect subtree (level >= 1); level 0
 *   is `audit_events.leaf_hash`. `audit_tree_heads` holds one row per sequencing batch.
 * - Triggers: an event is inserted unsequenced and without chain hashes; the only UPDATE ever
 *   allowed is the sequencing step (seq from NULL to a value, nothing else changed); nodes and
 *   heads are append-only. `audit_chain_head` is frozen at the last chained event.
 */
export class AuditMerkleLog1733300000023 implements MigrationInterface {
  name = 'AuditMerkleLog1733300000023';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string): Promise<unknown> => queryRunner.query(sql);
    await q(`DROP TRIGGER "audit_events_append_at_head" ON "audit_events"`);
    await q(`DROP TRIGGER "audit_events_advance_head" ON "audit_events"`);
    await q(`DROP TRIGGER "audit_events_no_update_delete" ON "audit_events"`);
    await q(`DROP FUNCTION "audit_events_check_append"()`);
    await q(`DROP FUNCTION "audit_events_advance_head"()`);

    await q(`CREATE SEQUENCE "audit_events_arrival_seq" AS bigint`);
    await q(`ALTER TABLE "audit_events" ADD "arrival" bigint`);
    await q(`ALTER TABLE "audit_events" ADD "leaf_hash" character varying(64)`);
    await q(`UPDATE "audit_events" SET "arrival" = "seq",
      "leaf_hash" = encode(sha256('\\x00'::bytea || convert_to('orderops-audit-v1:' || "hash", 'UTF8')), 'hex')`);
    await q(
      `SELECT setval('"audit_events_arrival_seq"', COALESCE((SELECT max("seq") FROM "audit_events"), 0) + 1, false)`,
    );
    await q(`ALTER TABLE "audit_events" ALTER "arrival" SET DEFAULT nextval('"audit_events_arrival_seq"')`);
    await q(`ALTER TABLE "audit_events" ALTER "arrival" SET NOT NULL`);
    await q(`ALTER TABLE "audit_events" ALTER "leaf_hash" SET NOT NULL`);
    await q(`ALTER SEQUENCE "audit_events_arrival_seq" OWNED BY "audit_events"."arrival"`);
    await q(`ALTER TABLE "audit_events" DROP CONSTRAINT "PK_6e299f5706e715265416fefe53e"`);
    await q(`ALTER TABLE "audit_events" ADD CONSTRAINT "PK_audit_events_arrival" PRIMARY KEY ("arrival")`);
    await q(`ALTER TABLE "audit_events" ALTER "seq" DROP NOT NULL`);
    await q(`ALTER TABLE "audit_events" ALTER "prev_hash" DROP NOT NULL`);
    await q(`ALTER TABLE "audit_events" ALTER "hash" DROP NOT NULL`);
    await q(`CREATE UNIQUE INDEX "UQ_audit_events_seq" ON "audit_events" ("seq")`);
    // The sequencer's queue: only unsequenced events are in it.
    await q(`CREATE INDEX "IDX_audit_events_unsequenced" ON "audit_events" ("arrival") WHERE "seq" IS NULL`);

    await q(`CREATE TABLE "audit_tree_nodes" (
      "level" smallint NOT NULL,
      "idx" bigint NOT NULL,
      "hash" character varying(64) NOT NULL,
      CONSTRAINT "CHK_audit_tree_nodes_level" CHECK ("level" BETWEEN 1 AND 62),
      CONSTRAINT "PK_audit_tree_nodes" PRIMARY KEY ("level", "idx"))`);
    await q(`CREATE TABLE "audit_tree_heads" (
      "tree_size" bigint NOT NULL,
      "root_hash" character varying(64) NOT NULL,
      "at" TIMESTAMP WITH TIME ZONE NOT NULL,
      CONSTRAINT "CHK_audit_tree_heads_size" CHECK ("tree_size" > 0),
      CONSTRAINT "PK_audit_tree_heads" PRIMARY KEY ("tree_size"))`);

    // New events arrive unsequenced and unchained; only the sequencer's one step changes them.
    await q(`CREATE FUNCTION "audit_events_check_insert"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW."seq" IS NOT NULL OR NEW."prev_hash" IS NOT NULL OR NEW."hash" IS NOT NULL THEN
          RAISE EXCEPTION 'audit events are inserted unsequenced' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await q(`CREATE TRIGGER "audit_events_insert_unsequenced"
      BEFORE INSERT ON "audit_events" FOR EACH ROW EXECUTE FUNCTION "audit_events_check_insert"()`);
    await q(`CREATE FUNCTION "audit_events_check_sequencing"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD."seq" IS NULL AND NEW."seq" IS NOT NULL
          AND (NEW."arrival", NEW."id", NEW."at", NEW."actor", NEW."actor_type", NEW."action",
               NEW."target_type", NEW."target_id", NEW."outcome", NEW."request_id", NEW."details",
               NEW."prev_hash", NEW."hash", NEW."leaf_hash")
            IS NOT DISTINCT FROM
              (OLD."arrival", OLD."id", OLD."at", OLD."actor", OLD."actor_type", OLD."action",
               OLD."target_type", OLD."target_id", OLD."outcome", OLD."request_id", OLD."details",
               OLD."prev_hash", OLD."hash", OLD."leaf_hash") THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit trail is append-only: UPDATE on audit_events refused'
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q(`CREATE TRIGGER "audit_events_sequencing_only"
      BEFORE UPDATE ON "audit_events" FOR EACH ROW EXECUTE FUNCTION "audit_events_check_sequencing"()`);
    await q(`CREATE TRIGGER "audit_events_no_delete"
      BEFORE DELETE ON "audit_events" FOR EACH ROW EXECUTE FUNCTION "audit_refuse_change"()`);
    await q(`DROP TRIGGER "audit_chain_head_advance_only" ON "audit_chain_head"`);
    await q(`DROP FUNCTION "audit_chain_head_check_advance"()`);
    await q(`CREATE TRIGGER "audit_chain_head_frozen"
      BEFORE INSERT OR UPDATE ON "audit_chain_head" FOR EACH ROW EXECUTE FUNCTION "audit_refuse_change"()`);
    for (const table of ['audit_tree_nodes', 'audit_tree_heads']) {
      await q(`CREATE TRIGGER "${table}_no_update_delete"
        BEFORE UPDATE OR DELETE ON "${table}" FOR EACH ROW EXECUTE FUNCTION "audit_refuse_change"()`);
      await q(`CREATE TRIGGER "${table}_no_truncate"
        BEFORE TRUNCATE ON "${table}" FOR EACH STATEMENT EXECUTE FUNCTION "audit_refuse_change"()`);
    }

    await q(`DO $$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'orderops_app') THEN
          REVOKE ALL ON "audit_events" FROM orderops_app;
          GRANT SELECT, INSERT ON "audit_events" TO orderops_app;
          GRANT UPDATE ("seq") ON "audit_events" TO orderops_app;
          GRANT USAGE ON SEQUENCE "audit_events_arrival_seq" TO orderops_app;
          REVOKE ALL ON "audit_chain_head" FROM orderops_app;
          GRANT SELECT ON "audit_chain_head" TO orderops_app;
          REVOKE ALL ON "audit_tree_nodes", "audit_tree_heads" FROM orderops_app;
          GRANT SELECT, INSERT ON "audit_tree_nodes", "audit_tree_heads" TO orderops_app;
        END IF;
      END $$`);
  }

  /**
   * Back to the chain, possible only while every event is a chained one: an event written to
   * the Merkle log has no chain hashes, and the append-only log cannot lose it.
   */
  async down(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string): Promise<unknown> => queryRunner.query(sql);
    const [row] = (await queryRunner.query(
      `SELECT count(*)::int AS "unchained" FROM "audit_events" WHERE "prev_hash" IS NULL`,
    )) as { unchained: number }[];
    if (row.unchained > 0) {
      throw new Error(
        `AuditMerkleLog1733300000023 cannot be reverted: ${row.unchained} events were written to the Merkle log and have no chain hashes`,
      );
    }
    await q(`DROP TRIGGER "audit_events_insert_unsequenced" ON "audit_events"`);
    await q(`DROP TRIGGER "audit_events_sequencing_only" ON "audit_events"`);
    await q(`DROP TRIGGER "audit_events_no_delete" ON "audit_events"`);
    await q(`DROP FUNCTION "audit_events_check_insert"()`);
    await q(`DROP FUNCTION "audit_events_check_sequencing"()`);
    await q(`DROP TRIGGER "audit_chain_head_frozen" ON "audit_chain_head"`);
    await q(`DROP TABLE "audit_tree_heads"`);
    await q(`DROP TABLE "audit_tree_nodes"`);
    await q(`DROP INDEX "IDX_audit_events_unsequenced"`);
    await q(`DROP INDEX "UQ_audit_events_seq"`);
    await q(`ALTER TABLE "audit_events" DROP CONSTRAINT "PK_audit_events_arrival"`);
    await q(`ALTER TABLE "audit_events" ALTER "seq" SET NOT NULL`);
    await q(`ALTER TABLE "audit_events" ALTER "prev_hash" SET NOT NULL`);
    await q(`ALTER TABLE "audit_events" ALTER "hash" SET NOT NULL`);
    await q(`ALTER TABLE "audit_events" ADD CONSTRAINT "PK_6e299f5706e715265416fefe53e" PRIMARY KEY ("seq")`);
    await q(`ALTER TABLE "audit_events" DROP COLUMN "leaf_hash"`);
    await q(`ALTER TABLE "audit_events" DROP COLUMN "arrival"`);
    // The chain's triggers as CreateAudit1732500000000 made them.
    await q(`CREATE TRIGGER "audit_events_no_update_delete"
      BEFORE UPDATE OR DELETE ON "audit_events" FOR EACH ROW EXECUTE FUNCTION "audit_refuse_change"()`);
    await q(`CREATE FUNCTION "audit_events_check_append"() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE head record;
      BEGIN
        SELECT "seq", "hash" INTO head FROM "audit_chain_head" WHERE "singleton" = 1;
        IF NEW."seq" <> head."seq" + 1 OR NEW."prev_hash" <> head."hash" THEN
          RAISE EXCEPTION 'audit event does not follow the chain head' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await q(`CREATE TRIGGER "audit_events_append_at_head"
      BEFORE INSERT ON "audit_events" FOR EACH ROW EXECUTE FUNCTION "audit_events_check_append"()`);
    await q(`CREATE FUNCTION "audit_events_advance_head"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE "audit_chain_head" SET "seq" = NEW."seq", "hash" = NEW."hash" WHERE "singleton" = 1;
        RETURN NULL;
      END $$`);
    await q(`CREATE TRIGGER "audit_events_advance_head"
      AFTER INSERT ON "audit_events" FOR EACH ROW EXECUTE FUNCTION "audit_events_advance_head"()`);
    await q(`CREATE FUNCTION "audit_chain_head_check_advance"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW."singleton" <> OLD."singleton" OR NEW."seq" <> OLD."seq" + 1 OR NOT EXISTS (
          SELECT 1 FROM "audit_events" WHERE "seq" = NEW."seq" AND "hash" = NEW."hash"
        ) THEN
          RAISE EXCEPTION 'audit chain head may only advance onto the next event' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await q(`CREATE TRIGGER "audit_chain_head_advance_only"
      BEFORE UPDATE ON "audit_chain_head" FOR EACH ROW EXECUTE FUNCTION "audit_chain_head_check_advance"()`);
    await q(`DO $$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'orderops_app') THEN
          REVOKE ALL ON "audit_events" FROM orderops_app;
          GRANT SELECT, INSERT ON "audit_events" TO orderops_app;
          REVOKE ALL ON "audit_chain_head" FROM orderops_app;
          GRANT SELECT, UPDATE ON "audit_chain_head" TO orderops_app;
        END IF;
      END $$`);
  }
}
