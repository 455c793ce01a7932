import { HOUSE_REACH, type Principal, type Reach } from '@orderops/access';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditCoreModule, auditSchema, systemActor } from '@orderops/audit';
import { CoreModule, loadConfig } from '@orderops/core';
import { DataSource, type EntityManager } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedEvents } from '../../../../test/support/audit.js';
import { LogCapture } from '../../../../test/support/log-capture.js';
import { provisionTestDatabase, type TestDatabase } from '../../../../test/support/test-database.js';
import { PiiCoreModule } from '../pii.module.js';
import { piiSchema } from '../pii.schema.js';
import { CustomerErasedError, CustomerNotFoundError } from '../pii.errors.js';
import type { CustomerDetails } from './customer-record.js';
import { toCustomerResponse } from './customer.mapper.js';
import { CustomersRepository } from './customers.repository.js';
import { CustomersService } from './customers.service.js';

const ACTOR = systemActor('spec');
const PARTNER: Reach = { owner: 'client:partner', only: 'client:partner' };
const OTHER_PARTNER: Reach = { owner: 'client:other', only: 'client:other' };
const DPO: Principal = {
  type: 'operator',
  id: '00000000-0000-4000-8000-000000000001',
  clientId: 'console',
  scopes: ['pii:reveal', 'pii:export', 'pii:erase'],
  tokenId: 'spec',
};

const jane: CustomerDetails = {
  name: 'Jane van Doe',
  email: 'jane.doe@example.com',
  phone: '+31 20 123 4567',
  address: { line1: '1 Main Street', city: 'Amsterdam', postalCode: '1011 AB', country: 'NL' },
};

let counter = 0;
/** A person no other case uses. */
const someone = (extra: Partial<CustomerDetails> = {}): CustomerDetails => ({
  name: `Person ${++counter}`,
  email: `person.${counter}.${Date.now()}@example.com`,
  ...extra,
});

/**
 * The pii rules on the embedded database (or PostgreSQL with DATABASE_URL), without HTTP:
 * find-or-create by blind index per owner, one creation path for one customer and for
 * batches, masking in the mapper, reveal, erase.
 */
describe('CustomersService', () => {
  let db: TestDatabase;
  let context: INestApplicationContext;
  let customers: CustomersService;
  let repository: CustomersRepository;
  let ds: DataSource;

  const inTransaction = <T>(work: (manager: EntityManager) => Promise<T>): Promise<T> => ds.transaction(work);
  const createdEventsFor = async (id: string) =>
    (await storedEvents(ds, 'customer.created')).filter((e) => e.target_id === id);

  beforeAll(async () => {
    db = await provisionTestDatabase();
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn', ...db.env });
    @Module({
      imports: [
        CoreModule.forRoot({ config, schemas: [auditSchema, piiSchema], logDestination: new LogCapture() }),
        AuditCoreModule,
        PiiCoreModule,
      ],
      providers: [CustomersRepository],
    })
    class SpecModule {}
    context = await NestFactory.createApplicationContext(SpecModule, { logger: false });
    customers = context.get(CustomersService);
    repository = context.get(CustomersRepository);
    ds = context.get(DataSource);
  });

  afterAll(async () => {
    await context?.close();
    await db?.dispose();
  });

  describe('findOrCreate (POST /orders: a batch of one)', () => {
    it('creates a customer once per owner and email, found again by the normalized email', async () => {
      const first = await inTransaction((m) => customers.findOrCreate(m, jane, ACTOR, PARTNER.owner));
      expect(first.created).toBe(true);
      expect(first.record).toMatchObject({ name: jane.name, email: jane.email, phone: jane.phone });
      const again = await inTransaction((m) =>
        customers.findOrCreate(
          m,
          { ...jane, email: '  Jane.DOE@Example.com ', name: 'J. Doe' },
          ACTOR,
          PARTNER.owner,
        ),
      );
      expect(again).toMatchObject({ created: false, record: { id: first.record.id, name: jane.name } });
      // What findOrCreate answered for the new customer is what is stored.
      expect(await customers.get(first.record.id, PARTNER)).toEqual(first.record);
    });

    it('gives another owner a customer of its own for the same email', async () => {
      const mine = await inTransaction((m) => customers.findOrCreate(m, jane, ACTOR, PARTNER.owner));
      const theirs = await inTransaction((m) => customers.findOrCreate(m, jane, ACTOR, OTHER_PARTNER.owner));
      expect(theirs.created).toBe(true);
      expect(theirs.record.id).not.toBe(mine.record.id);
      await expect(customers.get(theirs.record.id, PARTNER)).rejects.toBeInstanceOf(CustomerNotFoundError);
      expect((await customers.get(theirs.record.id, HOUSE_REACH)).id).toBe(theirs.record.id);
    });

    it('audits each creation as customer.created with field names only, and nothing when found', async () => {
      const details = someone({ phone: '+44 20 7946 0958' });
      const { record } = await inTransaction((m) => customers.findOrCreate(m, details, ACTOR, PARTNER.owner));
      await inTransaction((m) => customers.findOrCreate(m, details, ACTOR, PARTNER.owner));
      const events = await createdEventsFor(record.id);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ actor: 'spec', actor_type: 'system', target_type: 'customer' });
      expect(events[0].details).toEqual({ fields: ['name', 'email', 'phone'] });
      expect(JSON.stringify(events[0])).not.toMatch(/person\.|Person|7946/);
    });
  });

  describe('findOrCreateMany (the one creation path)', () => {
    it('resolves a batch in order: existing, new, and repeats of one email to one customer', async () => {
      const known = await inTransaction((m) => customers.findOrCreate(m, someone(), ACTOR, PARTNER.owner));
      const fresh = someone();
      const resolved = await inTransaction((m) =>
        customers.findOrCreateMany(
          [fresh, { name: 'x', email: known.record.email! }, { ...fresh, email: fresh.email.toUpperCase() }],
          PARTNER.owner,
          { audit: { each: ACTOR } },
          m,
        ),
      );
      expect(resolved[1]).toEqual({ id: known.record.id });
      expect(resolved[2].id).toBe(resolved[0].id);
      // Creation is reported once, on the entry that asked for it first.
      expect(resolved[0].createdAt).toBeInstanceOf(Date);
      expect(resolved[2].createdAt).toBeUndefined();
      expect(await createdEventsFor(resolved[0].id)).toHaveLength(1);
    });

    it("records no events when the caller's own event counts the creations (imports)", async () => {
      const [created] = await inTransaction((m) =>
        customers.findOrCreateMany([someone()], PARTNER.owner, { audit: 'counted' }, m),
      );
      expect(created.createdAt).toBeDefined();
      expect(await createdEventsFor(created.id)).toEqual([]);
    });

    it('stores every field, address included, encrypted the same way as one customer', async () => {
      const details = someone({ phone: '+31 6 4242 1717', address: jane.address });
      const [created] = await inTransaction((m) =>
        customers.findOrCreateMany([details], PARTNER.owner, { audit: 'counted' }, m),
      );
      const [row] = await repository.getByIds([created.id]);
      for (const column of [row.nameEnc, row.emailEnc, row.phoneEnc, row.addressEnc]) {
        expect(column).toMatch(/^pf1\.1\./);
      }
      expect(JSON.stringify(row)).not.toMatch(/Person|person\.|4242|Main Street/);
      expect(await customers.get(created.id, PARTNER)).toMatchObject({
        name: details.name,
        email: details.email,
        phone: details.phone,
        address: jane.address,
      });
      expect(await customers.search({ phone: '0031 6 4242 1717' }, PARTNER)).toHaveLength(1);
    });

    it('rolls back with the caller: nothing is left when the transaction fails', async () => {
      const details = someone();
      await expect(
        inTransaction(async (m) => {
          await customers.findOrCreateMany([details], PARTNER.owner, { audit: { each: ACTOR } }, m);
          throw new Error('the order failed');
        }),
      ).rejects.toThrow('the order failed');
      expect(await customers.search({ email: details.email }, PARTNER)).toEqual([]);
    });
  });

  describe('batchResolver (imports)', () => {
    it('finds the customers one-by-one creation made, counts only those it creates', async () => {
      const known = await inTransaction((m) => customers.findOrCreate(m, someone(), ACTOR, PARTNER.owner));
      const a = someone();
      const b = someone();
      const { ids, second, created } = await inTransaction(async (m) => {
        const resolver = customers.batchResolver(m, PARTNER.owner);
        const first = await resolver.resolve([a, { name: 'Known', email: known.record.email! }, a]);
        const next = await resolver.resolve([b, a]);
        return { ids: first, second: next, created: resolver.created };
      });
      expect(ids[1]).toBe(known.record.id);
      expect(ids[2]).toBe(ids[0]);
      expect(second[1]).toBe(ids[0]);
      expect(created).toBe(2);
      expect(await createdEventsFor(ids[0])).toEqual([]);
      // The same customers the one-by-one path would find.
      const found = await inTransaction((m) => customers.findOrCreate(m, b, ACTOR, PARTNER.owner));
      expect(found).toMatchObject({ created: false, record: { id: second[0] } });
    });
  });

  describe('getMany (the orders read path)', () => {
    it('decrypts customers by id, whoever owns them, skipping unknown ids, in or out of a transaction', async () => {
      const mine = await inTransaction((m) => customers.findOrCreate(m, someone(), ACTOR, PARTNER.owner));
      const theirs = await inTransaction((m) =>
        customers.findOrCreate(m, someone(), ACTOR, OTHER_PARTNER.owner),
      );
      const ids = [mine.record.id, theirs.record.id, mine.record.id, 'CUS-01JD8Q5Z3M7R4T6V8X0B2C4D6F'];
      const outside = await customers.getMany(ids);
      expect([...outside.keys()].sort()).toEqual([mine.record.id, theirs.record.id].sort());
      expect(outside.get(theirs.record.id)).toEqual(theirs.record);
      const inside = await inTransaction((m) => customers.getMany(ids, m));
      expect(inside).toEqual(outside);
      expect(await customers.getMany([])).toEqual(new Map());
    });
  });

  describe('masking in the mapper', () => {
    it('masks what get, search and getMany return; only the audited reveal is in clear', async () => {
      const { record } = await inTransaction((m) => customers.findOrCreate(m, jane, ACTOR, 'house'));
      const masked = {
        name: 'J*** V*** D***',
        email: 'j***@example.com',
        phone: '***67',
        address: { city: 'Amsterdam', country: 'NL' },
      };
      expect(toCustomerResponse(record)).toMatchObject(masked);
      expect(toCustomerResponse(await customers.get(record.id, HOUSE_REACH))).toMatchObject(masked);
      const [found] = await customers.search({ email: jane.email }, HOUSE_REACH);
      expect(toCustomerResponse(found)).toMatchObject(masked);
      expect(toCustomerResponse((await customers.getMany([record.id])).get(record.id)!)).toMatchObject(
        masked,
      );

      const revealed = await customers.reveal(record.id, 'support', DPO, HOUSE_REACH);
      expect(toCustomerResponse(revealed)).toMatchObject({
        name: jane.name,
        email: jane.email,
        phone: jane.phone,
      });
      const events = (await storedEvents(ds, 'pii.revealed')).filter((e) => e.target_id === record.id);
      expect(events.map((e) => e.details)).toEqual([{ purpose: 'support' }]);
      // A copy, or the same customer read again, is masked.
      expect(toCustomerResponse({ ...revealed })).toMatchObject(masked);
      expect(toCustomerResponse(await customers.get(record.id, HOUSE_REACH))).toMatchObject(masked);

      const exported = await customers.export(record.id, DPO, HOUSE_REACH);
      expect(toCustomerResponse(exported.record).email).toBe(jane.email);
    });
  });

  describe('erase', () => {
    it('destroys the key, the ciphertexts and the blind indexes; keeps the row; is idempotent', async () => {
      const details = someone({ phone: '+49 30 1234 5678', address: jane.address });
      const { record } = await inTransaction((m) => customers.findOrCreate(m, details, ACTOR, PARTNER.owner));
      expect(await customers.search({ phone: details.phone! }, PARTNER)).toHaveLength(1);
      await customers.erase(record.id, DPO, PARTNER);
      const [row] = await repository.getByIds([record.id]);
      expect(row).toMatchObject({
        wrappedDek: null,
        kekVersion: null,
        nameEnc: null,
        emailEnc: null,
        phoneEnc: null,
        addressEnc: null,
      });
      const erasedAt = row.erasedAt;
      expect(erasedAt).toBeInstanceOf(Date);
      expect(await customers.get(record.id, PARTNER)).toMatchObject({
        id: record.id,
        name: null,
        email: null,
        phone: null,
        address: null,
      });
      // The blind indexes are gone: neither search finds it, and the email makes a new customer.
      expect(await customers.search({ email: details.email }, PARTNER)).toEqual([]);
      expect(await customers.search({ phone: details.phone! }, PARTNER)).toEqual([]);
      const again = await inTransaction((m) => customers.findOrCreate(m, details, ACTOR, PARTNER.owner));
      expect(again.created).toBe(true);
      expect(again.record.id).not.toBe(record.id);

      await customers.erase(record.id, DPO, PARTNER);
      expect((await repository.getByIds([record.id]))[0].erasedAt).toEqual(erasedAt);
      await expect(customers.reveal(record.id, 'support', DPO, PARTNER)).rejects.toBeInstanceOf(
        CustomerErasedError,
      );
      const erasures = (await storedEvents(ds, 'pii.erased')).filter((e) => e.target_id === record.id);
      expect(erasures).toHaveLength(2);
    });

    it("is not found outside the caller's reach, and then erases nothing", async () => {
      const { record } = await inTransaction((m) =>
        customers.findOrCreate(m, someone(), ACTOR, PARTNER.owner),
      );
      await expect(customers.erase(record.id, DPO, OTHER_PARTNER)).rejects.toBeInstanceOf(
        CustomerNotFoundError,
      );
      expect((await customers.get(record.id, PARTNER)).email).toBe(record.email);
      expect((await storedEvents(ds, 'pii.erased')).filter((e) => e.target_id === record.id)).toEqual([]);
    });
  });

  describe('rewrap', () => {
    it('has nothing to do when every key is under the current master key', async () => {
      expect(await customers.countStale()).toBe(0);
      expect(await customers.countUnknownKeyVersions()).toBe(0);
      expect(await customers.rewrapBatch(ACTOR)).toEqual({ rewrapped: 0, remaining: 0 });
    });
  });
});
