import { SetMetadata } from '@nestjs/common';
import type { PiiKind } from './mask.js';

const PII_FIELDS = Symbol('orderops:pii-fields');
export const REVEAL_PII_KEY = 'orderops:reveal-pii';

/** Marks a response-DTO property as personal data: masked in every response unless revealed. */
export function Pii(kind: PiiKind): PropertyDecorator {
  return (target, property) => {
    const fields = (Reflect.getMetadata(PII_FIELDS, target) as Map<string, PiiKind> | undefined) ?? new Map();
    const own = new Map(fields);
    own.set(String(property), kind);
    Reflect.defineMetadata(PII_FIELDS, own, target);
  };
}

export function piiFieldsOf(instance: object): ReadonlyMap<string, PiiKind> | undefined {
  return Reflect.getMetadata(PII_FIELDS, Object.getPrototypeOf(instance) as object) as
    ReadonlyMap<string, PiiKind> | undefined;
}

/**
 * On a route: its responses may carry personal data in clear, but only to a caller holding
 * `scope`. Everywhere else, and whenever the caller cannot be established, it is masked.
 */
export const RevealPii = (scope: string): MethodDecorator => SetMetadata(REVEAL_PII_KEY, scope);
