import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateMasterKeysText, parseMasterKeys } from './master-keys.js';

const b64 = (n = 32): string => randomBytes(n).toString('base64');

describe('parseMasterKeys', () => {
  it('parses versions in order, the first being current', () => {
    const { ring, problems } = parseMasterKeys(`v3:${b64()}, v1:${b64()}`);
    expect(problems).toEqual([]);
    expect(ring?.current.version).toBe(3);
    expect(ring?.find(1)?.key).toHaveLength(32);
    expect(ring?.find(2)).toBeUndefined();
  });

  it.each([
    ['', 'is empty'],
    ['abc', 'entry 1 is not of the form'],
    [`v0:${b64()}`, 'entry 1 is not of the form'],
    [`1:${b64()}`, 'entry 1 is not of the form'],
    [`v1:${b64(31)}`, 'must decode to 32 bytes'],
    [`v1:${b64(33)}`, 'must decode to 32 bytes'],
    [`v1:${Buffer.alloc(32, 7).toString('base64')}`, 'placeholder'],
    [`v1:${b64()},v1:${b64()}`, 'listed twice'],
  ])('refuses %j', (text, problem) => {
    const { ring, problems } = parseMasterKeys(text);
    expect(ring).toBeUndefined();
    expect(problems.join(';')).toContain(problem);
  });

  it('never puts key material in a problem or in the ring rendering', () => {
    const material = b64(31);
    expect(parseMasterKeys(`v1:${material}`).problems.join()).not.toContain(material);
    const good = b64();
    const { ring } = parseMasterKeys(`v1:${good}`);
    expect(`${String(ring)} ${JSON.stringify(ring)}`).not.toContain(good);
  });

  it('generates a valid single-key ring', () => {
    const { ring } = parseMasterKeys(generateMasterKeysText());
    expect(ring?.versions).toEqual([1]);
  });
});
