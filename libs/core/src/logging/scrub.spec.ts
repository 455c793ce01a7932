import { describe, expect, it } from 'vitest';
import { scrubDeep, scrubText } from './scrub.js';

describe('scrubText', () => {
  it.each([
    ['duplicate key (email)=(jane.doe+orders@example.co.uk) exists', 'jane.doe+orders@example.co.uk'],
    ['call +44 20 7946 0958 today', '+44 20 7946 0958'],
    ['call +1 (555) 123-4567', '(555) 123-4567'],
    ['phone 555-123-4567', '555-123-4567'],
    ['phone 0612345678', '0612345678'],
    ['card 4111 1111 1111 1111 charged', '4111 1111 1111 1111'],
    ['card 5500-0000-0000-0004', '5500-0000-0000-0004'],
    ['Authorization: Bearer abcdef123456.xyz', 'abcdef123456.xyz'],
    ['Basic b3JkZXJvcHM6c2VjcmV0', 'b3JkZXJvcHM6c2VjcmV0'],
    [
      'token eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlX2hlcmU and more',
      'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlX2hlcmU',
    ],
  ])('removes the sensitive part of %j', (text, secret) => {
    expect(scrubText(text)).not.toContain(secret);
  });

  it.each([
    'request 6dbb7433-78f6-4de0-8f95-f65598bf1442 completed',
    'order ORD-01JD8Q5Z3M7R4T6V8X0B2C4D6F',
    'took 918.3 ms at 2026-11-23T05:07:20.715Z',
    'status 200, 3 items, total 1049.97',
  ])('leaves ordinary text alone: %j', (text) => {
    expect(scrubText(text)).toBe(text);
  });

  it('labels only Luhn-valid numbers as cards', () => {
    expect(scrubText('4111111111111111')).toBe('[card]');
    expect(scrubText('4111111111111112')).not.toContain('[card]');
  });

  it('scrubs every string at any depth', () => {
    const out = scrubDeep({ err: { message: 'x jane@example.com', parameters: ['+49 30 1234567', 12] } });
    expect(JSON.stringify(out)).not.toMatch(/jane@|1234567/);
    expect(JSON.stringify(out)).toContain('12');
  });
});
