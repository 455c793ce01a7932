import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { ModulesContainer } from '@nestjs/core';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, TEST_ADMIN_PASSWORD, tokenFor } from './support/auth.js';
import type { TestApp } from './support/test-app.js';
import { useTestApp } from './support/use-test-app.js';

interface JsonRoute {
  readonly method: string;
  readonly path: string;
  readonly dto: Type;
}

interface FieldCase {
  readonly route: JsonRoute;
  /** Dotted path, array elements as `.0`, as the errors[] of a problem name them. */
  readonly field: string;
  readonly optional: boolean;
}

const joinPath = (...parts: string[]): string =>
  `/${parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/')}`;

/** Every route of the running app whose handler takes a @Body() DTO class: read from Nest's metadata. */
function jsonRoutes(t: TestApp): JsonRoute[] {
  const routes: JsonRoute[] = [];
  for (const module of t.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      for (const handlerName of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[handlerName] as object;
        const params = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handlerName) ?? {}) as Record<
          string,
          { index: number }
        >;
        const body = Object.entries(params).find(
          ([key]) => key.split(':')[0] === String(RouteParamtypes.BODY),
        );
        if (!body) continue;
        const prototype = controller.prototype as object;
        const types = Reflect.getMetadata('design:paramtypes', prototype, handlerName) as unknown[];
        const dto = types[body[1].index];
        if (typeof dto !== 'function' || dto === Object) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const path = joinPath(base, String(Reflect.getMetadata(PATH_METADATA, handler) ?? ''));
        routes.push({ method, path, dto: dto as Type });
      }
    }
  }
  return routes;
}

/** Every validated field of a DTO, nested DTOs (by their @Type) included, with whether it is @IsOptional. */
function fieldsOf(dto: Type, parent = '', seen = new Set<Type>()): { field: string; optional: boolean }[] {
  if (seen.has(dto)) return [];
  const storage = getMetadataStorage();
  const grouped = storage.groupByPropertyName(
    storage.getTargetValidationMetadatas(dto, '', false, false, undefined),
  );
  const out: { field: string; optional: boolean }[] = [];
  for (const [name, rules] of Object.entries(grouped)) {
    const field = parent ? `${parent}.${name}` : name;
    out.push({
      field,
      optional: rules.some(
        (r) => r.type === ValidationTypes.CONDITIONAL_VALIDATION && r.name === 'isOptional',
      ),
    });
    const nested = rules.find((r) => r.type === ValidationTypes.NESTED_VALIDATION);
    // The class the pipe turns this property into, found the way the pipe does it.
    const sample = plainToInstance(dto, { [name]: nested?.each ? [{}] : {} }) as Record<string, unknown>;
    const made = nested?.each ? (sample[name] as unknown[] | undefined)?.[0] : sample[name];
    const type =
      typeof made === 'object' && made !== null && made.constructor !== Object
        ? (made.constructor as Type)
        : undefined;
    if (nested && type) {
      const inner = nested.each ? `${field}.0` : field;
      out.push(...fieldsOf(type, inner, new Set([...seen, dto])));
    }
  }
  return out;
}

/** A body holding `null` at `field`, with objects (or one-element arrays, for `.0`) on the way down. */
function bodyWithNullAt(field: string): unknown {
  const parts = field.split('.');
  const build = (at: number): unknown => {
    if (at >= parts.length) return null;
    if (/^\d+$/.test(parts[at + 1] ?? '')) return { [parts[at]]: [build(at + 2)] };
    return { [parts[at]]: build(at + 1) };
  };
  return build(0);
}

/** Ids of the right shape for each path parameter, so a body problem is what the route reports. */
function concretePath(path: string): string {
  return path
    .replace(/^\/orders\/:id/, '/orders/ORD-01JD8Q5Z3M7R4T6V8X0B2C4D6F')
    .replace(/^\/customers\/:id/, '/customers/CUS-01JD8Q5Z3M7R4T6V8X0B2C4D6F')
    .replace(/^\/admin\/operators\/:id/, '/admin/operators/2b0c2f43-6f2a-4d0e-9d6c-7a1e5b3c9f10')
    .replace(/:\w+/g, 'x');
}

describe('null in a request field is a 400, never a 500 (every JSON route, from the DTO metadata)', () => {
  const t = useTestApp({
    env: { STRICT_RATE_LIMIT_PER_MINUTE: '10000', RATE_LIMIT_PER_MINUTE: '100000' },
    probes: true,
  });
  let token: string;
  let cases: FieldCase[];

  beforeAll(async () => {
    const all = 'admin orders:read orders:write orders:import pii:reveal pii:export pii:erase audit:read';
    token = (await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD, all)).access_token;
    cases = jsonRoutes(t).flatMap((route) =>
      fieldsOf(route.dto).map(({ field, optional }) => ({ route, field, optional })),
    );
  });

  it('finds the JSON routes and their optional fields (the list below is what it covers)', () => {
    const optional = cases
      .filter((c) => c.optional)
      .map((c) => `${c.route.method} ${c.route.path} ${c.field}`);
    // A floor, not the list: a new DTO or field is covered without editing this test.
    expect(optional).toEqual(
      expect.arrayContaining([
        'POST /customers/search email',
        'POST /customers/search phone',
        'POST /orders customer',
        'POST /orders customer.phone',
        'POST /orders customer.address',
        'POST /orders customer.address.line2',
        'POST /orders customerId',
        'POST /orders note',
        'PATCH /admin/operators/:id password',
      ]),
    );
  });

  it('answers null in every optional field with 400 null_not_allowed, and in every other field with a 400', async () => {
    const wrong: string[] = [];
    for (const { route, field, optional } of cases) {
      const res = await t.app.inject({
        method: route.method as 'POST',
        url: concretePath(route.path),
        headers: { ...bearer(token), 'if-match': '"1"' },
        payload: bodyWithNullAt(field) as Record<string, unknown>,
      });
      const errors =
        res.statusCode === 400
          ? (res.json<{ errors?: { field: string; code: string }[] }>().errors ?? [])
          : [];
      const named = errors.some((e) => e.field === field && (!optional || e.code === 'null_not_allowed'));
      if (res.statusCode !== 400 || !named)
        wrong.push(`${route.method} ${route.path} ${field}: ${res.statusCode}`);
    }
    expect(wrong).toEqual([]);
  });

  it('words the problem without echoing anything', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/customers/search',
      headers: bearer(token),
      payload: { email: null },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      type: 'urn:orderops:problem:validation-failed',
      errors: [{ field: 'email', code: 'null_not_allowed', message: 'email must not be null' }],
    });
  });

  it('still accepts an optional field that is absent', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/orders',
      headers: bearer(token),
      payload: { currency: 'EUR', items: [{ product: 'Mouse', unitPrice: '24.99', quantity: 1 }] },
    });
    expect(res.statusCode).toBe(201);
  });
});
