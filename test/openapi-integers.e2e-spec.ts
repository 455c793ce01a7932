import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * Every number the API sends or takes is whole: counts, lines, seq, pagination limits,
 * quantities, versions, seconds. Money travels as decimal strings (DESIGN §1: never floats),
 * so no property or parameter is a fractional `number`. An exception would be listed here,
 * by JSON pointer, with its reason; there is none today.
 */
const ALLOWED_NUMBERS: ReadonlyMap<string, string> = new Map();

const document = JSON.parse(readFileSync('openapi.json', 'utf8')) as Record<string, unknown>;

const typesOf = (node: object): unknown[] => {
  const type = (node as { type?: unknown }).type;
  return Array.isArray(type) ? type : [type];
};

/** JSON pointers (RFC 6901) of every schema in the document that `matches`. */
function pointers(node: unknown, matches: (types: unknown[]) => boolean, pointer = ''): string[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => pointers(item, matches, `${pointer}/${i}`));
  if (node === null || typeof node !== 'object') return [];
  return [
    ...(matches(typesOf(node)) ? [pointer] : []),
    ...Object.entries(node).flatMap(([key, value]) =>
      pointers(value, matches, `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`),
    ),
  ];
}

const numbers = (node: unknown) => pointers(node, (types) => types.includes('number'));
/** Schemas typed integer, to prove the walk reaches parameters and nested properties. */
const integers = (node: unknown) => pointers(node, (types) => types.includes('integer'));

describe('integers are integer in openapi.json', () => {
  it('no schema is a plain number, beyond the listed exceptions', () => {
    expect(numbers(document).filter((pointer) => !ALLOWED_NUMBERS.has(pointer))).toEqual([]);
  });

  it('the whole numbers of the API are typed integer, parameters included', () => {
    const found = integers(document);
    for (const expected of [
      '/paths/~1orders/get/parameters/0/schema', // limit
      '/components/schemas/OrderItemDto/properties/quantity',
      '/components/schemas/OrderItemResponse/properties/quantity',
      '/components/schemas/OrderResponse/properties/version',
      '/components/schemas/AuditEventResponse/properties/seq',
      '/components/schemas/AuditVerificationResponse/properties/lastSeq',
      '/components/schemas/ImportReportResponse/properties/rows',
      '/components/schemas/ImportRejectResponse/properties/line',
      '/components/schemas/OAuthTokenResponse/properties/expires_in',
      '/components/schemas/OAuthIntrospectionResponse/properties/exp',
      '/components/schemas/RotateClientSecretDto/properties/previousValidForSeconds',
    ])
      expect(found).toContain(expected);
  });

  it('the walk catches a number anywhere: a parameter, a nested property, a type list', () => {
    const broken = structuredClone(document) as {
      paths: Record<string, Record<string, { parameters: { schema: Record<string, unknown> }[] }>>;
      components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>> }> };
    };
    broken.paths['/orders']['get'].parameters[0].schema.type = 'number';
    broken.components.schemas['ImportReportResponse'].properties['rejects'] = {
      type: 'array',
      items: { type: 'object', properties: { line: { type: ['number', 'null'] } } },
    };
    expect(numbers(broken)).toEqual([
      '/paths/~1orders/get/parameters/0/schema',
      '/components/schemas/ImportReportResponse/properties/rejects/items/properties/line',
    ]);
  });
});
