import { AppError } from '@orderops/core';
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Duplex, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  ImportIdleTimeoutError,
  ImportInterruptedError,
  ImportSpoolFullError,
  ImportTooLargeError,
} from '../orders.errors.js';
import type { ImportSource } from './import-source.js';
import { IMPORT_RETRY_AFTER_SECONDS } from './import-slots.js';

export interface SpoolLimits {
  /** A directory of this process's own (created 0700). */
  readonly dir: string;
  readonly maxBytes: number;
  /** No byte for this long abandons the upload. */
  readonly idleTimeoutMs: number;
  /** The request's Content-Length, when it sent one: a body that ends short was broken off. */
  readonly expectedBytes?: number;
}

/** Spools untouched this long are leftovers of a process that died mid-import. */
const STALE_AFTER_MS = 60 * 60 * 1000;
const SPOOL_SUFFIX = '.upload';
const swept = new Set<string>();

/** Removes leftovers once per directory and process, so crashes cannot fill the disk. */
async function sweepStale(dir: string): Promise<void> {
  if (swept.has(dir)) return;
  swept.add(dir);
  for (const name of await readdir(dir)) {
    if (!name.endsWith(SPOOL_SUFFIX)) continue;
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > STALE_AFTER_MS) await rm(path, { force: true });
  }
}

/** Counts the bytes as they pass, refuses more than the limit, and gives up on silence. */
class UploadGate extends Transform {
  private bytes = 0;
  private readonly idle: NodeJS.Timeout;

  constructor(private readonly limits: SpoolLimits) {
    super();
    this.idle = setTimeout(
      () => this.destroy(new ImportIdleTimeoutError(limits.idleTimeoutMs)),
      limits.idleTimeoutMs,
    ).unref();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.idle.refresh();
    this.bytes += chunk.length;
    if (this.bytes > this.limits.maxBytes) callback(new ImportTooLargeError(this.limits.maxBytes));
    else callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    clearTimeout(this.idle);
    // Whichever of the socket's events comes first, a body shorter than the length the
    // client announced is an interrupted upload, never a (truncated) file to import.
    const { expectedBytes } = this.limits;
    if (expectedBytes !== undefined && this.bytes < expectedBytes) callback(new ImportInterruptedError());
    else callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.idle);
    callback(error);
  }
}

const isDiskFull = (error: unknown): boolean =>
  ['ENOSPC', 'EDQUOT'].includes((error as NodeJS.ErrnoException | undefined)?.code ?? '');

/**
 * An HTTP upload received whole into a private file (0600, in a 0700 directory) before the
 * import starts, so the client's pace holds a file descriptor, never a database connection.
 * Memory stays at a stream buffer or two whatever the file's size.
 */
export class UploadSpool implements ImportSource {
  private readonly path: string;
  private receiving: Promise<void> | undefined;

  constructor(
    private readonly upload: Readable,
    private readonly limits: SpoolLimits,
  ) {
    this.path = join(limits.dir, `${randomUUID()}${SPOOL_SUFFIX}`);
  }

  receive(): Promise<void> {
    this.receiving ??= this.spool();
    return this.receiving;
  }

  open(): Readable {
    return createReadStream(this.path);
  }

  async dispose(): Promise<void> {
    // Let a failed write finish closing its descriptor first; then the file goes.
    await this.receiving?.catch(() => undefined);
    await rm(this.path, { force: true });
  }

  private async spool(): Promise<void> {
    const { upload } = this;
    await mkdir(this.limits.dir, { recursive: true, mode: 0o700 });
    await chmod(this.limits.dir, 0o700);
    await sweepStale(this.limits.dir).catch(() => undefined);
    // Gone before we started reading (while its token was checked, or just now): its
    // 'close' has been and gone. No await from here to the listeners below.
    // The connection is watched too, not only the request stream: the connection closing
    // before the body ended is what an interrupted upload is, whichever stream says so first.
    const { socket } = upload as Readable & { socket?: Duplex };
    if (!upload.readableEnded && (upload.destroyed || socket?.destroyed === true)) {
      throw new ImportInterruptedError();
    }
    const gate = new UploadGate(this.limits);
    const interrupted = (): void => {
      if (!upload.readableEnded) gate.destroy(new ImportInterruptedError());
    };
    // Kept for the request's life: an error after the answer must not go unhandled.
    upload.on('error', interrupted);
    upload.once('close', interrupted);
    socket?.once('close', interrupted);
    // Piped, not part of the pipeline: a refused upload (413, 408) must leave the request
    // open for the answer; the response closes the connection.
    upload.pipe(gate);
    try {
      await pipeline(gate, createWriteStream(this.path, { flags: 'wx', mode: 0o600 }));
    } catch (error) {
      upload.unpipe(gate);
      if (error instanceof AppError) throw error;
      if (isDiskFull(error)) throw new ImportSpoolFullError(IMPORT_RETRY_AFTER_SECONDS);
      throw error;
    }
  }
}
