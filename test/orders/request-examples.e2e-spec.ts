import { beforeAll, describe, expect, it } from 'vitest';
import { buildApiDocument } from '../../apps/api/src/app.factory.js';
import { bearer } from '../support/auth.js';
import { order, postOrder } from '../support/orders.js';
import { useTestApp } from '../support/use-test-app.js';

interface MediaType {
  examples?: Record<string, { value: Record<string, unknown> }>;
}

/**
 * The request examples of openapi.json are what Swagger UI's "Try it out" sends: each one is
 * sent here as documented (twice for POST /orders, as a user repeating it would) and must
 * succeed.
 */
describe('documented request examples execute successfully', () => {
  const t = useTestApp({
    env: { STRICT_RATE_LIMIT_PER_MINUTE: '10000' },
    operators: { clerk: ['orders:read', 'orders:write'] },
  });
  let token: string;
  let document: ReturnType<typeof buildApiDocument>;
  beforeAll(() => {
    token = t.token('clerk');
    document = buildApiDocument(t.app);
  });

  function examplesOf(path: string, method: 'post' | 'patch'): [string, Record<string, unknown>][] {
    const body = document.paths[path]?.[method]?.requestBody;
    const media = body && 'content' in body ? (body.content['application/json'] as MediaType) : undefined;
    return Object.entries(media?.examples ?? {}).map(([name, example]) => [name, example.value]);
  }

  it('POST /orders and PATCH /orders/{id} document whole request examples', () => {
    expect(examplesOf('/orders', 'post').length).toBeGreaterThanOrEqual(2);
    expect(examplesOf('/orders/{id}', 'patch').length).toBeGreaterThanOrEqual(1);
  });

  it('every POST /orders example answers 201, also when sent again', async () => {
    for (const [name, value] of examplesOf('/orders', 'post')) {
      for (const attempt of [1, 2]) {
        const res = await postOrder(t.app, token, value);
        expect({ name, attempt, status: res.statusCode, body: res.json<unknown>() }).toMatchObject({
          status: 201,
        });
      }
    }
  });

  it('every PATCH /orders/{id} example answers 200 on a new order with its ETag', async () => {
    for (const [name, value] of examplesOf('/orders/{id}', 'patch')) {
      const created = await postOrder(t.app, token, order());
      const { id } = created.json<{ id: string }>();
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/orders/${id}`,
        headers: { ...bearer(token), 'if-match': created.headers.etag as string },
        payload: value,
      });
      expect({ name, status: res.statusCode, body: res.json<unknown>() }).toMatchObject({ status: 200 });
    }
  });

  it('the order response documents nullable strings as strings, so examples show no "note": {}', () => {
    const schema = document.components?.schemas?.['OrderResponse'] as {
      properties: Record<string, { type?: string }>;
    };
    for (const name of ['note', 'externalRef', 'importId'])
      expect(schema.properties[name]?.type).toBe('string');
  });
});
