import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Database } from '@orderops/core';

/** The channel the standing triggers notify on (migration 1733300000024). */
export const TOKEN_STANDING_CHANNEL = 'orderops_token_standing';

/**
 * The longest an answer is kept even with no notification: the bound on staleness if the
 * notification connection stops delivering without dropping (a silent network partition).
 */
export const STANDING_TTL_MS = 5_000;

/** One entry per token in use; far more than a replica serves at once. */
export const STANDING_CACHE_SIZE = 10_000;

/** What the database says about an access token at this moment. */
export interface AccessTokenStanding {
  readonly revoked: boolean;
  readonly clientExists: boolean;
  /** Absent when no operator was asked about or none has that id. */
  readonly operator?: {
    readonly disabled: boolean;
    readonly tokensValidAfter: Date;
    readonly tokenGeneration: number;
  };
}

interface Entry {
  readonly value: AccessTokenStanding;
  readonly expiresAtMs: number;
}

/**
 * Remembers what the database said about an access token's standing, so that a token used
 * many times a second costs one standing read, not one per request. It keeps answers only
 * while it is sure to hear of every change: the database notifies on each committed change
 * to the tables a standing depends on (from any replica, the CLI or plain SQL), and each
 * notification empties it. While the notification connection is down it keeps nothing, and
 * it empties again once listening resumes (changes in the gap were unannounced). An answer
 * read while a change was announced is not kept (the `epoch` a read starts under must still
 * be current when it ends). Changes made here also empty it at once, before their commit is
 * acknowledged, so this replica never answers from before its own change. Nothing lives past
 * STANDING_TTL_MS. On the embedded database (one shared session, no second listener) it is off.
 */
@Injectable()
export class TokenStandingCache implements OnModuleInit {
  private readonly entries = new Map<string, Entry>();
  private listening = false;
  private currentEpoch = 0;

  constructor(private readonly database: Database) {}

  onModuleInit(): void {
    this.database.listen(TOKEN_STANDING_CHANNEL, {
      onNotification: () => this.forget(),
      onListening: (listening) => {
        this.forget();
        this.listening = listening;
      },
    });
  }

  /** Pass to `remember` with the answer of a read started now. */
  get epoch(): number {
    return this.currentEpoch;
  }

  get(key: string): AccessTokenStanding | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (Date.now() >= entry.expiresAtMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Keeps `value` only if nothing changed since `epoch` was taken and changes are heard. */
  remember(key: string, value: AccessTokenStanding, epoch: number): void {
    if (!this.listening || epoch !== this.currentEpoch) return;
    if (!this.entries.has(key) && this.entries.size >= STANDING_CACHE_SIZE) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAtMs: Date.now() + STANDING_TTL_MS });
  }

  /** Something a standing depends on changed (or may have): every answer kept is dropped. */
  forget(): void {
    this.currentEpoch += 1;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
