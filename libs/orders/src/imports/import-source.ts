import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';

/**
 * Where an import's bytes come from. The import waits for `receive()` before it touches the
 * database, then parses from `open()`: nothing that holds a connection or a transaction ever
 * waits on a client's network.
 */
export interface ImportSource {
  /** Resolves once every byte is here; rejects with why the file did not arrive (413, 408, 400). */
  receive(): Promise<void>;
  /** The received bytes, from the first. */
  open(): Readable;
  /** Frees what receiving kept (an upload's spool file); safe to call in every outcome. */
  dispose(): Promise<void>;
}

/** A file already on this machine (the command line): nothing to receive, nothing to remove. */
export function localFileSource(path: string): ImportSource {
  return {
    receive: () => Promise.resolve(),
    open: () => createReadStream(path),
    dispose: () => Promise.resolve(),
  };
}
