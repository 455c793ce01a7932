import { Injectable } from '@nestjs/common';
import { InjectConfig, type AppConfig } from '@orderops/core';
import { ImportsBusyError } from '../orders.errors.js';

/**
 * How long a refused caller should wait: an import of a typical file takes seconds, one of
 * the largest allowed tens of seconds; retrying sooner only finds the slots still taken.
 */
export const IMPORT_RETRY_AFTER_SECONDS = 10;

/** A held place among the running imports; release it once, when the import has ended. */
export interface ImportSlot {
  release(): void;
}

/**
 * Caps the imports running at once in this process, in all and per principal. An import
 * holds disk (its spool), memory (two batches) and, while it writes, a database connection
 * (on the embedded database, its only session): the caps bound what uploads can take from
 * everything else. The resources are per process, so are the caps.
 */
@Injectable()
export class ImportSlots {
  private running = 0;
  private readonly byPrincipal = new Map<string, number>();

  constructor(@InjectConfig() private readonly config: AppConfig) {}

  /** Takes a slot for `principal`, or refuses with 429 before anything of the upload is read. */
  acquire(principal: string): ImportSlot {
    const mine = this.byPrincipal.get(principal) ?? 0;
    if (mine >= this.config.importMaxConcurrentPerPrincipal) {
      throw new ImportsBusyError('principal', IMPORT_RETRY_AFTER_SECONDS);
    }
    if (this.running >= this.config.importMaxConcurrent) {
      throw new ImportsBusyError('service', IMPORT_RETRY_AFTER_SECONDS);
    }
    this.running += 1;
    this.byPrincipal.set(principal, mine + 1);
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.running -= 1;
        const left = (this.byPrincipal.get(principal) ?? 1) - 1;
        if (left > 0) this.byPrincipal.set(principal, left);
        else this.byPrincipal.delete(principal);
      },
    };
  }
}
