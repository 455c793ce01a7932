import { SetMetadata } from '@nestjs/common';
import type { Principal } from './principal.js';

/**
 * Object-level access (OWASP API1), the one rule every query of an owned object (orders,
 * imports, customers) applies: a client (partner system) reaches only what it created;
 * operators (people) create under one house owner and reach every owner's objects, as
 * far as their scopes allow.
 */
export const HOUSE_OWNER = 'house';

/** What a caller creates under, and whose objects exist for it. */
export interface Reach {
  /** The owner recorded on what this caller creates. */
  readonly owner: string;
  /** The only owner whose objects this caller can see; null reaches every owner. */
  readonly only: string | null;
}

/** Operators and the command line: create as the house, see everything. */
export const HOUSE_REACH: Reach = Object.freeze({ owner: HOUSE_OWNER, only: null });

export function reachOf(principal: Pick<Principal, 'type' | 'id'>): Reach {
  if (principal.type !== 'client') return HOUSE_REACH;
  const owner = `client:${principal.id}`;
  return { owner, only: owner };
}

/**
 * The SQL condition of a reach on an owner column, with the owner as parameter `$n` (null
 * for every owner). One constant text for both cases, so a prepared statement serves all
 * callers; an object outside the reach is simply not found, exactly like a missing id.
 */
export function ownedBy(column: string, param: number): string {
  return `($${param}::varchar IS NULL OR ${column} = $${param}::varchar)`;
}

/** The ownership rule a route applies, listed in the reviewed route table. */
export const Ownership = {
  /** Objects are the caller's own (a client) or any owner's (an operator); others are 404. */
  Owned: 'owned',
  /** Tokens are answered about only to the client they were issued to. */
  IssuedToCaller: 'issued-to-caller',
} as const;
export type Ownership = (typeof Ownership)[keyof typeof Ownership];

export const OWNERSHIP_KEY = 'orderops:ownership';

/** Declares the route's ownership rule; `@CurrentReach()` works only on `Owned` routes. */
export const OwnershipRule = (rule: Ownership): MethodDecorator => SetMetadata(OWNERSHIP_KEY, rule);

/** The same rule as a TypeORM `where` fragment on an entity's `owner` property. */
export function ownerWhere(reach: Reach): { owner?: string } {
  return reach.only === null ? {} : { owner: reach.only };
}
