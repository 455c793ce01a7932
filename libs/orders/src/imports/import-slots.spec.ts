import type { AppConfig } from '@orderops/core';
import { describe, expect, it } from 'vitest';
import { ImportsBusyError } from '../orders.errors.js';
import { ImportSlots } from './import-slots.js';

const slots = (importMaxConcurrent: number, importMaxConcurrentPerPrincipal: number): ImportSlots =>
  new ImportSlots({ importMaxConcurrent, importMaxConcurrentPerPrincipal } as AppConfig);

describe('ImportSlots', () => {
  it('caps each principal, then the whole process', () => {
    const s = slots(2, 1);
    const a = s.acquire('operator:a');
    expect(() => s.acquire('operator:a')).toThrow(ImportsBusyError);
    s.acquire('client:b');
    expect(() => s.acquire('client:c')).toThrow(/service allows/);
    a.release();
    expect(() => s.acquire('client:c')).not.toThrow();
  });

  it('answers 429 with Retry-After', () => {
    const s = slots(1, 1);
    s.acquire('operator:a');
    try {
      s.acquire('operator:b');
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ status: 429, code: 'imports-busy' });
      expect(Number((error as ImportsBusyError).headers['Retry-After'])).toBeGreaterThan(0);
    }
  });

  it('a slot released twice frees one place only', () => {
    const s = slots(2, 2);
    const a = s.acquire('operator:a');
    s.acquire('operator:a');
    a.release();
    a.release();
    s.acquire('operator:a');
    expect(() => s.acquire('operator:a')).toThrow(ImportsBusyError);
  });
});
