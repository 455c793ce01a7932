import { Scope } from '@orderops/access';
import { systemActor } from '@orderops/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedEvents } from '../../../../test/support/audit.js';
import { startAuthServices, type AuthServices } from '../../../../test/support/auth-services.js';
import { ClientsService, WEB_CLIENT_ID } from '../clients/clients.service.js';
import { OperatorsService } from '../operators/operators.service.js';
import { RefreshTokensService, type RefreshOutcome } from './refresh-tokens.service.js';

/** Rotation and reuse detection as RefreshTokensService applies them, without HTTP. */
describe('RefreshTokensService rotation', () => {
  let s: AuthServices;
  let refresh: RefreshTokensService;
  let operator: { id: string; tokenGeneration: number };
  let partnerId: string;

  beforeAll(async () => {
    s = await startAuthServices();
    refresh = s.module.get(RefreshTokensService);
    const clients = s.module.get(ClientsService);
    await clients.ensureBuiltIns();
    partnerId = (await clients.create({ name: 'Partner', scopes: [Scope.OrdersRead] }, systemActor('spec')))
      .client.clientId;
    operator = await s.module
      .get(OperatorsService)
      .create('seam-refresh', 'seam-spec-refresh-pw-2b9e', [Scope.OrdersRead], systemActor('spec'));
  });

  afterAll(async () => {
    await s?.close();
  });

  const startFamily = () =>
    s.dataSource.transaction((manager) =>
      refresh.start(manager, operator, WEB_CLIENT_ID, [Scope.OrdersRead], ['pwd']),
    );

  const use = (token: string, clientId = WEB_CLIENT_ID): Promise<RefreshOutcome> =>
    refresh.rotate(
      token,
      clientId,
      (record) => Promise.resolve(record.scopes),
      () => Promise.resolve(),
    );

  const reasonOf = (outcome: RefreshOutcome) => (outcome.ok ? 'ok' : outcome.reason);

  const successor = (outcome: RefreshOutcome): string => {
    if (!outcome.ok) throw new Error(`expected a rotation, got ${outcome.reason}`);
    return outcome.token;
  };

  it('spends the token and issues a successor in the same family', async () => {
    const { token, familyId } = await startFamily();
    const outcome = await use(token);
    expect(outcome.ok && outcome.record.familyId).toBe(familyId);
    expect(successor(outcome)).not.toBe(token);
  });

  it('a spent token presented again revokes the whole family and is audited without the token', async () => {
    const { token, familyId } = await startFamily();
    const next = successor(await use(token));
    expect(reasonOf(await use(token))).toBe('reused');
    // The successor, never used, died with its family.
    expect(reasonOf(await use(next))).toBe('revoked');
    const [event] = (await storedEvents(s.dataSource, 'auth.refresh.reuse_detected')).filter(
      (e) => e.target_id === familyId,
    );
    expect(event.details).toMatchObject({ reason: 'reused', familyRevoked: true, operatorId: operator.id });
    expect(JSON.stringify(event)).not.toContain(token);
    expect(JSON.stringify(event)).not.toContain(next);
  });

  it('another client presenting the token revokes the family: the token leaked', async () => {
    const { token } = await startFamily();
    expect(reasonOf(await use(token, partnerId))).toBe('wrong_client');
    expect(reasonOf(await use(token))).toBe('revoked');
  });

  it('spends nothing when the rotation fails part-way', async () => {
    const { token } = await startFamily();
    await expect(
      refresh.rotate(
        token,
        WEB_CLIENT_ID,
        () => Promise.reject(new Error('narrowing refused')),
        () => Promise.resolve(),
      ),
    ).rejects.toThrow('narrowing refused');
    expect(reasonOf(await use(token))).toBe('ok');
  });

  it('refuses a token past its idle lifetime, and one nobody issued', async () => {
    const { token, familyId } = await startFamily();
    await s.dataSource.query(
      `UPDATE refresh_tokens SET idle_expires_at = now() - interval '1 second' WHERE family_id = $1`,
      [familyId],
    );
    expect(reasonOf(await use(token))).toBe('expired');
    expect(reasonOf(await use('never-issued-token'))).toBe('unknown');
  });
});
