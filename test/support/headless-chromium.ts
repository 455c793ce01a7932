import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { makeTempDir } from './test-database.js';

/**
 * A real headless Chromium driven over the Chrome DevTools Protocol with Node's own
 * WebSocket: the browser's CORS checks are the thing under test, so nothing may stand in
 * for them. (playwright-core is not a dependency; the protocol subset used here is small.)
 */

/** Debian's package; CHROMIUM_PATH points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface CdpReply {
  id?: number;
  result?: Record<string, unknown>;
  error?: { message: string };
}

export interface BrowserPage {
  /** Evaluates `expression` (a promise is awaited) in the page and returns its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
}

export interface HeadlessChromium {
  /** Opens `url` in a new tab and resolves once it has loaded from that origin. */
  open(url: string): Promise<BrowserPage>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<HeadlessChromium> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}: install Debian's chromium package, or set CHROMIUM_PATH`,
    );
  }
  const profile = makeTempDir('orderops-chromium-');
  const args = [
    '--headless',
    '--disable-gpu',
    '--no-first-run',
    '--no-default-browser-check',
    '--remote-debugging-port=0',
    `--user-data-dir=${profile}`,
    // Chromium's sandbox cannot start as root (CI containers); the pages are our own.
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    'about:blank',
  ];
  const child = spawn(CHROMIUM_PATH, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const endpoint = await devToolsEndpoint(child);
  const socket = new WebSocket(endpoint);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error('cannot connect to Chromium')), { once: true });
  });

  let nextId = 1;
  const pending = new Map<
    number,
    { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
  socket.addEventListener('message', (event) => {
    const reply = JSON.parse(String(event.data)) as CdpReply;
    if (reply.id === undefined) return; // an event; none are subscribed to
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.error) waiter?.reject(new Error(reply.error.message));
    else waiter?.resolve(reply.result ?? {});
  });
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });

  return {
    async open(url) {
      const { targetId } = (await send('Target.createTarget', { url })) as { targetId: string };
      const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as {
        sessionId: string;
      };
      const page: BrowserPage = {
        async evaluate<T>(expression: string): Promise<T> {
          const reply = (await send(
            'Runtime.evaluate',
            { expression, awaitPromise: true, returnByValue: true },
            sessionId,
          )) as {
            result: { value: T };
            exceptionDetails?: { text: string; exception?: { description?: string } };
          };
          if (reply.exceptionDetails) {
            throw new Error(reply.exceptionDetails.exception?.description ?? reply.exceptionDetails.text);
          }
          return reply.result.value;
        },
      };
      const origin = new URL(url).origin;
      for (let i = 0; i < 100; i++) {
        // A new target has no execution context for a moment: that is "not loaded yet" too.
        const state = await page
          .evaluate<string>('location.origin + " " + document.readyState')
          .catch(() => undefined);
        if (state === `${origin} complete`) return page;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`${url} did not load`);
    },
    async close() {
      socket.close();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Chromium prints its DevTools WebSocket address on stderr once it listens. */
function devToolsEndpoint(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`Chromium did not start:\n${seen}`)), 30_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Chromium exited (${String(code)}):\n${seen}`));
    });
  });
}
