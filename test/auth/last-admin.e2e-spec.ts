import { OperatorsService } from '@orderops/auth';
import { systemActor } from '@orderops/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  createOperator,
  TEST_ADMIN_PASSWORD,
  TEST_OPERATOR_PASSWORD,
  tokenFor,
} from '../support/auth.js';
import { startAuthServices, type AuthServices } from '../support/auth-services.js';
import { useTestApp } from '../support/use-test-app.js';

/** The service always keeps an enabled operator holding `admin`: without one, nobody can manage it. */
/** How the service refuses (the API answers it as a 409 problem, the command line prints the detail). */
const LAST_ADMIN = { code: 'last-admin', status: 409 };

describe('the last enabled admin', () => {
  describe('over the admin API', () => {
    const t = useTestApp({ signIn: ['admin'] });
    const patch = (id: string, payload: Record<string, unknown>, token = t.token('admin')) =>
      t.app.inject({ method: 'PATCH', url: `/admin/operators/${id}`, headers: bearer(token), payload });
    const adminId = async (): Promise<string> => {
      const list = await t.app.inject({
        method: 'GET',
        url: '/admin/operators',
        headers: bearer(t.token('admin')),
      });
      return list.json<{ id: string; username: string }[]>().find((o) => o.username === 'admin')!.id;
    };

    it.each([
      ['disabled', { disabled: true }],
      ['stripped of admin', { scopes: ['orders:read'] }],
    ])('cannot be %s: 409 last-admin, and nothing changes', async (_what, payload) => {
      const id = await adminId();
      const res = await patch(id, payload);
      expect(res.statusCode).toBe(409);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const problem = res.json<{ type: string; detail: string }>();
      expect(problem.type).toMatch(/last-admin$/);
      expect(problem.detail).toContain('last enabled operator with the admin scope');
      // Refused before the write: the admin's token (voided by any change) still works.
      const still = await t.app.inject({
        method: 'GET',
        url: `/admin/operators/${id}`,
        headers: bearer(t.token('admin')),
      });
      expect(still.statusCode).toBe(200);
      const after = still.json<{ disabled: boolean; scopes: string[] }>();
      expect(after.disabled).toBe(false);
      expect(after.scopes).toContain('admin');
    });

    it('changes that keep admin (a new password, other scopes beside admin) still pass', async () => {
      const id = await adminId();
      const res = await patch(id, { scopes: ['admin', 'orders:read'] });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ scopes: ['admin', 'orders:read'] });
    });

    it('can be disabled or lose admin once another enabled admin exists', async () => {
      // The change above voided the setup token: sign in again.
      const admin = await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD);
      const second = await createOperator(t.app, admin.access_token, 'second-admin', ['admin']);
      const secondToken = (await tokenFor(t.app, 'second-admin', TEST_OPERATOR_PASSWORD)).access_token;
      const id = await (async () => {
        const list = await t.app.inject({
          method: 'GET',
          url: '/admin/operators',
          headers: bearer(secondToken),
        });
        return list.json<{ id: string; username: string }[]>().find((o) => o.username === 'admin')!.id;
      })();
      const stripped = await patch(id, { scopes: ['orders:read'] }, secondToken);
      expect(stripped.statusCode).toBe(200);
      expect(stripped.json()).toMatchObject({ scopes: ['orders:read'] });
      // Now second-admin is the last one: it cannot disable itself, and a disabled admin
      // does not count as one.
      const self = await patch(second.id, { disabled: true }, secondToken);
      expect(self.statusCode).toBe(409);
      const regranted = await patch(id, { scopes: ['admin'] }, secondToken);
      expect(regranted.statusCode).toBe(200);
      const disabled = await patch(id, { disabled: true }, secondToken);
      expect(disabled.statusCode).toBe(200);
      expect((await patch(second.id, { disabled: true }, secondToken)).statusCode).toBe(409);
    });
  });

  describe('in the operators service (what the API and the command line call)', () => {
    let services: AuthServices;
    let operators: OperatorsService;
    const actor = systemActor('cli');
    beforeAll(async () => {
      services = await startAuthServices();
      operators = services.module.get(OperatorsService);
    });
    afterAll(async () => services?.close());

    it('refuses the last admin, allows it beside another, and never lets two concurrent changes both pass', async () => {
      const first = await operators.create('first-admin', TEST_OPERATOR_PASSWORD, ['admin'], actor);
      await expect(operators.update(first.id, { disabled: true }, actor)).rejects.toMatchObject(LAST_ADMIN);
      await expect(operators.update(first.id, { scopes: [] }, actor)).rejects.toMatchObject(LAST_ADMIN);

      const second = await operators.create('other-admin', TEST_OPERATOR_PASSWORD, ['admin'], actor);
      // Each alone would be fine; together they would leave none. The row locks let one win.
      const outcomes = await Promise.allSettled([
        operators.update(first.id, { disabled: true }, actor),
        operators.update(second.id, { disabled: true }, actor),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.filter((o) => o.status === 'rejected');
      expect(refused).toHaveLength(1);
      expect(refused[0].reason).toMatchObject(LAST_ADMIN);
      const enabledAdmins = (await operators.list()).filter(
        (o) => o.disabledAt === null && o.scopes.includes('admin'),
      );
      expect(enabledAdmins).toHaveLength(1);
    });
  });
});
