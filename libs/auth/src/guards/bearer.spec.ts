import { describe, expect, it } from 'vitest';
import { bearerTokenOf } from './bearer.js';

describe('bearerTokenOf', () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc.def.ghi', 'abc.def.ghi'],
    ['Bearer   abc', 'abc'],
  ])('reads %j', (header, token) => {
    expect(bearerTokenOf({ authorization: header })).toBe(token);
  });

  it.each([undefined, '', 'Basic abc', 'Bearer', 'Bearer a b', 'Bearer <script>', 'Token abc'])(
    'ignores %j',
    (header) => {
      expect(bearerTokenOf({ authorization: header })).toBeUndefined();
    },
  );
});
