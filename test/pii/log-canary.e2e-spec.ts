import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { CANARY_PIECES, sendCanaryTraffic } from '../support/canary-traffic.js';
import { useTestApp } from '../support/use-test-app.js';

describe('log canary', () => {
  const t = useTestApp({
    env: { STRICT_RATE_LIMIT_PER_MINUTE: '10000', LOG_LEVEL: 'trace' },
    probes: true,
    operators: { allscopes: ['orders:read', 'orders:write', 'pii:reveal', 'pii:export', 'pii:erase'] },
  });
  let token: string;
  beforeAll(() => {
    token = t.token('allscopes');
  });

  it('personal data sent through every endpoint, valid or not, never reaches the logs', async () => {
    const responses = await sendCanaryTraffic(t.app, token);
    expect(responses.map((r) => r.statusCode)).toContain(400);
    expect(responses.map((r) => r.statusCode)).toContain(413);
    expect(t.logs.lines.length).toBeGreaterThan(20);
    const logs = t.logs.text.toLowerCase();
    for (const piece of CANARY_PIECES) expect(logs, piece).not.toContain(piece.toLowerCase());
    const events = await t.app
      .get(DataSource)
      .query<{ action: string; details: unknown }[]>(
        'SELECT action, actor, target_id, details FROM audit_events',
      );
    const actions = events.map((e) => e.action);
    for (const action of ['customer.created', 'order.created', 'pii.revealed', 'pii.exported'])
      expect(actions).toContain(action);
    expect(events.find((e) => e.action === 'pii.revealed')?.details).toEqual({ purpose: 'support' });
    const trail = JSON.stringify(events).toLowerCase();
    for (const piece of CANARY_PIECES) expect(trail, `audit ${piece}`).not.toContain(piece.toLowerCase());
    for (const res of responses.filter((r) => r.statusCode >= 400)) {
      for (const piece of CANARY_PIECES) expect(res.body, `${res.statusCode} ${piece}`).not.toContain(piece);
    }
  });
});
