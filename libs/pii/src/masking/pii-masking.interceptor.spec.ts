import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { NotPersonalData } from '@orderops/core';
import { firstValueFrom, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { PiiMaskingInterceptor } from './pii-masking.interceptor.js';
import { Pii, RevealPii } from './pii.decorator.js';

class Handlers {
  plain(this: void): void {}

  @RevealPii('pii:reveal')
  reveal(this: void): void {}
}

const interceptor = new PiiMaskingInterceptor(new Reflector());

/** What a body looks like once it has passed the interceptor on `handler`, for `user`. */
async function through(
  body: unknown,
  options: { handler?: keyof Handlers; user?: unknown; request?: () => unknown } = {},
): Promise<unknown> {
  const handler = Handlers.prototype[options.handler ?? 'plain'];
  const context = {
    getHandler: () => handler,
    switchToHttp: () => ({ getRequest: options.request ?? (() => ({ user: options.user })) }),
  } as unknown as ExecutionContext;
  const next: CallHandler = { handle: () => of(body) };
  return firstValueFrom(interceptor.intercept(context, next));
}

/** A handler that forgot its mapper: no class, no @Pii metadata, personal data in clear. */
const unmasked = () => ({
  id: 'CUS-1',
  name: 'Jane van Doe',
  email: 'jane.doe@example.com',
  phone: '+31 20 123 4567',
  address: { line1: '1 Main Street', city: 'Amsterdam', postalCode: '1011 AB', country: 'NL' },
  orders: [{ customer: { customerEmail: 'max@example.org', billing_phone: '+44 20 7946 0958' } }],
  owner: { lastName: 'Smith', username: 'jdoe' },
});

const MASKED = {
  id: 'CUS-1',
  name: 'J*** V*** D***',
  email: 'j***@example.com',
  phone: '***67',
  address: { city: 'Amsterdam', country: 'NL' },
  orders: [{ customer: { customerEmail: 'm***@example.org', billing_phone: '***58' } }],
  owner: { lastName: 'S***', username: 'jdoe' },
};

const CLEAR_PIECES = ['Jane', 'jane.doe', '123 4567', 'Main Street', '1011', 'max@', '7946', 'Smith'];

describe('PiiMaskingInterceptor (the backstop behind the mappers)', () => {
  it('masks a plain object by field name, at any depth, in arrays too', async () => {
    const out = await through(unmasked());
    expect(out).toEqual(MASKED);
    const json = JSON.stringify(out);
    for (const piece of CLEAR_PIECES) expect(json).not.toContain(piece);
  });

  it('masks a top-level array of plain objects', async () => {
    expect(await through([unmasked(), unmasked()])).toEqual([MASKED, MASKED]);
  });

  it('masks what an object serializes to, not only its own keys (toJSON)', async () => {
    const sneaky = { toJSON: () => ({ email: 'jane.doe@example.com' }) };
    expect(JSON.stringify(await through({ contact: sneaky }))).toBe(
      '{"contact":{"email":"j***@example.com"}}',
    );
  });

  it('fails closed on shapes it cannot mask: a non-string email, an address without city', async () => {
    expect(
      await through({ email: { local: 'jane', domain: 'example.com' }, address: '1 Main Street' }),
    ).toEqual({ email: null, address: null });
  });

  it('sends nothing of what lies deeper than any response (null), rather than unscreened', async () => {
    let deep: Record<string, unknown> = { email: 'jane.doe@example.com' };
    for (let i = 0; i < 20; i++) deep = { next: deep };
    expect(JSON.stringify(await through(deep))).not.toContain('jane.doe');
  });

  it('masks a @Pii property whatever its name, and spares a @NotPersonalData one', async () => {
    class Partner {
      @Pii('email') contact!: string;
      @NotPersonalData() name!: string;
    }
    const partner = Object.assign(new Partner(), { contact: 'ops@partner.example', name: 'Acme Logistics' });
    expect({ ...((await through(partner)) as Partner) }).toEqual({
      contact: 'o***@partner.example',
      name: 'Acme Logistics',
    });
  });

  it('leaves dates alone', async () => {
    const at = new Date('2026-12-01T00:00:00Z');
    expect(await through({ createdAt: at })).toEqual({ createdAt: at });
  });

  describe('reveal routes', () => {
    it('answer in clear to a caller holding the route scope', async () => {
      expect(await through(unmasked(), { handler: 'reveal', user: { scopes: ['pii:reveal'] } })).toEqual(
        unmasked(),
      );
    });

    it('mask for a caller without the scope, or with a scope on another route', async () => {
      expect(await through(unmasked(), { handler: 'reveal', user: { scopes: ['orders:read'] } })).toEqual(
        MASKED,
      );
      expect(await through(unmasked(), { handler: 'plain', user: { scopes: ['pii:reveal'] } })).toEqual(
        MASKED,
      );
    });

    it('mask when the caller cannot be established (no user, odd scopes, a failing request)', async () => {
      for (const user of [undefined, {}, { scopes: 'pii:reveal' }]) {
        expect(await through(unmasked(), { handler: 'reveal', user })).toEqual(MASKED);
      }
      const failing = () => {
        throw new Error('no request');
      };
      expect(await through(unmasked(), { handler: 'reveal', request: failing })).toEqual(MASKED);
    });
  });
});
