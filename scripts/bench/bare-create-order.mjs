// B3's bare baseline: POST /orders written directly on Fastify (its ajv schema validation),
// node:crypto and pg, storing what the API stores for an order with a new customer, into
// the API's own migrated tables:
// - customers: a fresh AES-256 data key per customer, sealed (AES-256-GCM) under a master
//   key; name, email and phone each AES-256-GCM under the data key, bound to table, column,
//   row and key version; HMAC-SHA-256 blind indexes of the email and the phone;
// - orders (total in exact integer cents) and order_items;
// - idempotency_keys (Idempotency-Key claimed with the request's SHA-256; a replay answers
//   with the first order's id, another body with the same key is refused);
// - audit_events: customer.created and order.created, inserted unsequenced with their leaf hashes (the app sequences them).
// All in one transaction, in as few round trips as that takes; the answer is the order with
// its customer masked, as the API answers. It is a yardstick, not a second implementation:
// the formats match the vault's so the rows are alike, nothing here reads them back.
import {
  createCipheriv,
  createHash,
  createHmac,
  createSecretKey,
  randomBytes,
  randomUUID,
} from 'node:crypto';
import { Buffer } from 'node:buffer';
import { ulid } from 'ulid';

// The API's currency allowlist (libs/orders currencies.ts), copied: a baseline must not load the app.
const CURRENCIES = [
  'AED', 'AUD', 'BRL', 'CAD', 'CHF', 'CNY', 'CZK', 'DKK', 'EUR', 'GBP', 'HKD', 'HUF', 'IDR', 'ILS', 'INR',
  'JPY', 'KRW', 'MXN', 'MYR', 'NOK', 'NZD', 'PHP', 'PLN', 'RON', 'SAR', 'SEK', 'SGD', 'THB', 'TRY', 'USD',
  'ZAR',
]; // prettier-ignore

const NO_CONTROL = '^[^\\p{Cc}]*$';
const text = (min, max) => ({ type: 'string', minLength: min, maxLength: max, pattern: NO_CONTROL });
const MONEY = /^(0|[1-9][0-9]{0,6})(\.[0-9]{1,2})?$/;

/** The rules of CreateOrderDto (and CustomerDetailsDto, AddressDto) as JSON Schema. */
const bodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['currency', 'items'],
  properties: {
    customer: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'email'],
      properties: {
        name: text(1, 200),
        email: { type: 'string', maxLength: 254, format: 'email' },
        phone: { type: 'string', pattern: '^\\+[1-9](?:[ ()-]?\\d){6,14}$' },
        address: {
          type: 'object',
          additionalProperties: false,
          required: ['line1', 'city', 'postalCode', 'country'],
          properties: {
            line1: text(1, 200),
            line2: text(1, 200),
            city: text(1, 100),
            postalCode: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9 -]{0,14}[A-Za-z0-9]$' },
            country: { type: 'string', pattern: '^[A-Z]{2}$' },
          },
        },
      },
    },
    customerId: { type: 'string', pattern: '^CUS-[0-9A-HJKMNP-TV-Z]{26}$' },
    currency: { enum: CURRENCIES },
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['product', 'unitPrice', 'quantity'],
        properties: {
          product: text(1, 200),
          unitPrice: { type: 'string', pattern: MONEY.source },
          quantity: { type: 'integer', minimum: 1, maximum: 10_000 },
        },
      },
    },
    note: { type: 'string', maxLength: 500 },
  },
};

/** Exact cents of a price the schema accepted; undefined when it is 0 or above 1,000,000. */
function cents(price) {
  const [, whole, fraction = ''] = MONEY.exec(price);
  const value = BigInt(whole) * 100n + BigInt(fraction.slice(1).padEnd(2, '0') || '0');
  return value > 0n && value <= 100_000_000n ? value : undefined;
}
const decimal = (value) => `${value / 100n}.${String(value % 100n).padStart(2, '0')}`;

const canonical = (value) => {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
};
const sha256 = (s) => createHash('sha256').update(s, 'utf8').digest('hex');

// Keys of this process only: the baseline never decrypts what the API stored, or the reverse.
const MASTER = { version: 1, key: createSecretKey(randomBytes(32)) };
const BLIND = createSecretKey(randomBytes(32));
const b64 = (b) => b.toString('base64url');

function gcm(key, plaintext, aad, format, version) {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [format, String(version), b64(iv), b64(body), b64(cipher.getAuthTag())].join('.');
}
const blindIndex = (kind, normalized) =>
  createHmac('sha256', BLIND).update(`${kind}:${normalized}`).digest('hex');

const maskName = (name) =>
  name
    .trim()
    .split(/\s+/)
    .map((part) => `${[...part][0].toUpperCase()}***`)
    .join(' ');
const maskEmail = (email) => `${email[0]}***${email.slice(email.lastIndexOf('@'))}`;
const maskPhone = (phone) => `***${phone.replace(/\D/g, '').slice(-2)}`;

const ACTOR = { type: 'operator', id: randomUUID() };
const OWNER = 'house';
const CREATED_BY = `${ACTOR.type}:${ACTOR.id}`;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Inserts the events unsequenced with their RFC 9162 leaf hashes, in one statement, in the
 * caller's transaction: as the app does (no shared lock; the app's sequencer places them).
 */
async function appendAudit(client, requestId, events) {
  const at = new Date();
  const rows = events.map((e) => {
    const id = randomUUID();
    const serialized = canonical([
      'orderops-audit-v2',
      id,
      at.toISOString(),
      ACTOR.id,
      ACTOR.type,
      e.action,
      e.targetType,
      e.targetId,
      'success',
      requestId,
      e.details,
    ]);
    const leaf = createHash('sha256')
      .update(Buffer.from([0]))
      .update(serialized)
      .digest('hex');
    return { id, leaf, ...e };
  });
  await client.query(
    `INSERT INTO audit_events (id, at, actor, actor_type, action, target_type, target_id, outcome,
       request_id, details, leaf_hash)
     SELECT e.id, $2, $3, $4, e.action, e.target_type, e.target_id, 'success', $5, e.details, e.leaf_hash
     FROM unnest($1::uuid[], $6::varchar[], $7::varchar[], $8::varchar[], $9::jsonb[], $10::varchar[])
       WITH ORDINALITY AS e(id, action, target_type, target_id, details, leaf_hash, n)
     ORDER BY e.n`,
    [
      rows.map((r) => r.id),
      at,
      ACTOR.id,
      ACTOR.type,
      requestId,
      rows.map((r) => r.action),
      rows.map((r) => r.targetType),
      rows.map((r) => r.targetId),
      rows.map((r) => JSON.stringify(r.details)),
      rows.map((r) => r.leaf),
    ],
  );
}

/** The new customer's row values and its masked answer. */
function sealCustomer(details) {
  const id = `CUS-${ulid()}`;
  const dek = randomBytes(32);
  const wrapped = gcm(MASTER.key, dek, `customers|dek|${id}|v${MASTER.version}`, 'ob1', MASTER.version);
  const dekKey = createSecretKey(dek);
  dek.fill(0);
  const enc = (column, value) =>
    value === undefined
      ? null
      : gcm(dekKey, Buffer.from(value, 'utf8'), `customers|${column}|${id}|d1`, 'pf1', 1);
  const email = details.email.trim();
  return {
    id,
    values: [
      id,
      OWNER,
      wrapped,
      MASTER.version,
      enc('name', details.name),
      enc('email', email),
      enc('phone', details.phone),
      enc('address', details.address ? JSON.stringify(details.address) : undefined),
      blindIndex('email', email.toLowerCase()),
      details.phone ? blindIndex('phone', details.phone.replace(/\D/g, '')) : null,
    ],
    fields: ['name', 'email', ...(details.phone ? ['phone'] : []), ...(details.address ? ['address'] : [])],
    masked: {
      id,
      name: maskName(details.name),
      email: maskEmail(email),
      phone: details.phone ? maskPhone(details.phone) : null,
      address: details.address ? { city: details.address.city, country: details.address.country } : null,
      erased: false,
    },
  };
}

class Refused extends Error {
  constructor(status, code) {
    super(code);
    this.status = status;
  }
}

export function createOrderRoute(app, pool) {
  app.post('/orders', { schema: { body: bodySchema } }, async (req, reply) => {
    const body = req.body;
    if (body.customer && body.customerId) return reply.code(422).send({ code: 'customer-ambiguous' });
    const itemCents = body.items.map((i) => cents(i.unitPrice));
    if (itemCents.includes(undefined)) return reply.code(400).send({ code: 'isPositiveMoney' });
    const key = req.headers['idempotency-key'];
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key))
      return reply.code(400).send({ code: 'idempotency-key' });
    const total = decimal(itemCents.reduce((sum, c, n) => sum + c * BigInt(body.items[n].quantity), 0n));
    const requestHash = sha256(canonical(body));
    const requestId = randomUUID();
    const orderId = `ORD-${ulid()}`;
    const customer = body.customer ? sealCustomer(body.customer) : undefined;

    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      if (key !== undefined) {
        const claimed = await client.query(
          `INSERT INTO idempotency_keys (principal, idempotency_key, request_hash, order_id, expires_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1`,
          [CREATED_BY, key, requestHash, orderId, new Date(Date.now() + IDEMPOTENCY_TTL_MS)],
        );
        if (claimed.rowCount === 0) {
          const [earlier] = (
            await client.query(
              `SELECT request_hash, order_id FROM idempotency_keys
                WHERE principal = $1 AND idempotency_key = $2 FOR UPDATE`,
              [CREATED_BY, key],
            )
          ).rows;
          if (earlier.request_hash !== requestHash) throw new Refused(422, 'idempotency-key-reused');
          await client.query('COMMIT');
          return reply
            .code(201)
            .header('Location', `/orders/${earlier.order_id}`)
            .send({ id: earlier.order_id });
        }
      }
      let customerId = null;
      let maskedCustomer = null;
      const events = [];
      if (customer) {
        const inserted = await client.query(
          `INSERT INTO customers (id, owner, wrapped_dek, kek_version, name_enc, email_enc, phone_enc, address_enc,
             email_bidx, phone_bidx)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING created_at`,
          customer.values,
        );
        if (inserted.rowCount === 1) {
          customerId = customer.id;
          maskedCustomer = { ...customer.masked, createdAt: inserted.rows[0].created_at.toISOString() };
          events.push({
            action: 'customer.created',
            targetType: 'customer',
            targetId: customerId,
            details: { fields: customer.fields },
          });
        } else {
          // A known email: the owner's existing customer (its masked fields are those submitted).
          const [row] = (
            await client.query('SELECT id, created_at FROM customers WHERE email_bidx = $1 AND owner = $2', [
              customer.values[8],
              OWNER,
            ])
          ).rows;
          customerId = row.id;
          maskedCustomer = { ...customer.masked, id: row.id, createdAt: row.created_at.toISOString() };
        }
      } else if (body.customerId) {
        const found = await client.query('SELECT 1 FROM customers WHERE id = $1 AND owner = $2', [
          body.customerId,
          OWNER,
        ]);
        if (found.rowCount === 0) throw new Refused(422, 'unknown-customer');
        customerId = body.customerId;
      }
      const [order] = (
        await client.query(
          `INSERT INTO orders (id, customer_id, status, currency, total, note, created_by, owner, version)
           VALUES ($1, $2, 'placed', $3, $4, $5, $6, $7, 1) RETURNING created_at, updated_at`,
          [orderId, customerId, body.currency, total, body.note ?? null, CREATED_BY, OWNER],
        )
      ).rows;
      await client.query(
        `INSERT INTO order_items (order_id, position, product, unit_price, quantity)
         SELECT $1, p - 1, product, price, quantity
           FROM unnest($2::text[], $3::numeric[], $4::int[]) WITH ORDINALITY AS i(product, price, quantity, p)`,
        [
          orderId,
          body.items.map((i) => i.product),
          body.items.map((i) => i.unitPrice),
          body.items.map((i) => i.quantity),
        ],
      );
      events.push({
        action: 'order.created',
        targetType: 'order',
        targetId: orderId,
        details: { items: body.items.length, currency: body.currency, total, customerId },
      });
      // Last, as the app writes its events just before COMMIT.
      await appendAudit(client, requestId, events);
      await client.query('COMMIT');
      return reply
        .code(201)
        .header('Location', `/orders/${orderId}`)
        .header('ETag', '"1"')
        .send({
          id: orderId,
          status: 'placed',
          currency: body.currency,
          total,
          note: body.note ?? null,
          items: body.items.map((i) => ({
            product: i.product,
            unitPrice: i.unitPrice,
            quantity: i.quantity,
          })),
          customer: maskedCustomer,
          createdBy: CREATED_BY,
          createdAt: order.created_at.toISOString(),
          updatedAt: order.updated_at.toISOString(),
          version: 1,
        });
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (error instanceof Refused) return reply.code(error.status).send({ code: error.message });
      throw error;
    } finally {
      client.release();
    }
  });
}
