import { Injectable } from '@nestjs/common';
import { hash, parseOptions, verify, type Algorithm } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { inSpan } from '@orderops/core';
import { AuthMetrics } from '../auth.metrics.js';

/** argon2id, m=19456 KiB, t=2, p=1 (DESIGN §1; OWASP's minimum for argon2id). */
const ARGON2ID = 2 as Algorithm;
export const PASSWORD_HASH_OPTIONS = {
  algorithm: ARGON2ID,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * At most this many hashes run at once. Each takes ~10 ms of a libuv thread and 19 MiB;
 * a login storm must queue here rather than occupy every thread the rest of the service
 * (file and crypto work) shares, or exhaust memory.
 */
const MAX_CONCURRENT_HASHES = 2;

class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly limit: number,
    /** Told how long each task waited for its slot, in seconds (0 when one was free). */
    private readonly waited: (seconds: number) => void,
  ) {}

  /** Tasks queued for a slot now. */
  get depth(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      const queued = performance.now();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      this.waited((performance.now() - queued) / 1000);
    } else {
      this.waited(0);
    }
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

@Injectable()
export class PasswordHasher {
  private readonly slots: Semaphore;
  /** A real hash of a random password: unknown users are verified against it, at the same cost. */
  private readonly decoy: Promise<string>;

  constructor(metrics: AuthMetrics) {
    this.slots = new Semaphore(MAX_CONCURRENT_HASHES, metrics.hashWaited);
    metrics.watchHashQueue(() => this.slots.depth);
    this.decoy = this.hash(randomBytes(32).toString('base64url'));
  }

  hash(password: string): Promise<string> {
    return inSpan('password.hash', {}, () => this.slots.run(() => hash(password, PASSWORD_HASH_OPTIONS)));
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      // One span name for real and decoy checks: a trace must not tell which accounts exist.
      return await inSpan('password.verify', {}, () => this.slots.run(() => verify(passwordHash, password)));
    } catch {
      return false;
    }
  }

  /** Spends the same work as a real verification and always fails. */
  async verifyDecoy(password: string): Promise<false> {
    await this.verify(await this.decoy, password);
    return false;
  }

  /** True when a stored hash was made with other parameters than today's. */
  needsRehash(passwordHash: string): boolean {
    try {
      const o = parseOptions(passwordHash);
      return (
        o.algorithm !== PASSWORD_HASH_OPTIONS.algorithm ||
        o.memoryCost !== PASSWORD_HASH_OPTIONS.memoryCost ||
        o.timeCost !== PASSWORD_HASH_OPTIONS.timeCost ||
        o.parallelism !== PASSWORD_HASH_OPTIONS.parallelism
      );
    } catch {
      return true;
    }
  }
}
