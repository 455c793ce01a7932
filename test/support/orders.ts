import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { bearer } from './auth.js';

export const CANARY = {
  name: 'Zebediah Canaryfield',
  email: 'zebediah.canary@canary-mail.example',
  phone: '+31 6 4242 1717',
  address: { line1: '17 Canary Wharf Lane', city: 'Utrecht', postalCode: '3511 AB', country: 'NL' },
};

export function order(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    currency: 'EUR',
    items: [
      { product: 'Laptop', unitPrice: '999.99', quantity: 2 },
      { product: 'Mouse', unitPrice: '24.99', quantity: 10 },
    ],
    ...overrides,
  };
}

export function postOrder(
  app: NestFastifyApplication,
  token: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/orders',
    headers: { ...bearer(token), ...headers },
    payload: body,
  });
}
