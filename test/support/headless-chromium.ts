import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { makeTempDir } from './test-database.js';

/**
 * A real headless Chromium driven over the Chrome DevTools Protocol with Node's own
 * WebSocket: the browser's CORS checks are the thing under test, so nothing may stand in
 * for them. (playwright-core is not a dependency; the protocol subset used here is small.)
 *
 * Every page the browser opens, popups included, is attached before it runs (auto-attach
 * with waitForDebuggerOnStart), so the network log holds every response from the first.
 */

/** Debian's package; CHROMIUM_PATH points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  sessionId?: string;
  result?: Record<string, unknown>;
  error?: { message: string };
}

interface TargetInfo {
  targetId: string;
  type: string;
  url: string;
  openerId?: string;
}

/** A response the browser received, as the network saw it (headers lower-cased). */
export interface NetworkResponse {
  readonly url: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
}

export interface BrowserPage {
  /** Evaluates `expression` (a promise is awaited) in the page and returns its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
  /** The page as a PNG image. */
  screenshot(): Promise<Buffer>;
  /** The URL the page shows now. */
  url(): Promise<string>;
}

export interface HeadlessChromium {
  /** Opens `url` in a new tab and resolves once it has loaded from that origin. */
  open(url: string): Promise<BrowserPage>;
  /** The next page a page opens (window.open) once it is attached; fails after ten seconds. */
  nextPopup(): Promise<BrowserPage>;
  /** The pages open now, in the order they were opened. */
  pages(): BrowserPage[];
  /** Every response any page received so far. */
  responses(): readonly NetworkResponse[];
  close(): Promise<void>;
}

/** The browsers this worker has running, for the failure screenshots (browser-failure.ts). */
export const liveBrowsers = new Set<HeadlessChromium>();

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
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });

  const responses: NetworkResponse[] = [];
  /** Attached pages by target id; a page leaves when its target is gone. */
  const attached = new Map<string, { page: BrowserPage; sessionId: string; openerId?: string }>();
  const targetWaiters = new Map<string, (page: BrowserPage) => void>();
  const popupWaiters: Array<(page: BrowserPage) => void> = [];
  const unclaimedPopups: BrowserPage[] = [];

  const pageFor = (sessionId: string): BrowserPage => ({
    async evaluate<T>(expression: string): Promise<T> {
      const reply = (await send(
        'Runtime.evaluate',
        // As if the user acted: a click that opens a popup (Swagger UI's Authorize) is allowed.
        { expression, awaitPromise: true, returnByValue: true, userGesture: true },
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
    async screenshot() {
      const { data } = (await send('Page.captureScreenshot', { format: 'png' }, sessionId)) as {
        data: string;
      };
      return Buffer.from(data, 'base64');
    },
    async url() {
      const { targetInfo } = (await send('Target.getTargetInfo', {}, sessionId)) as {
        targetInfo: TargetInfo;
      };
      return targetInfo.url;
    },
  });

  const onAttached = async (sessionId: string, info: TargetInfo) => {
    if (info.type !== 'page') {
      await send('Runtime.runIfWaitingForDebugger', {}, sessionId).catch(() => undefined);
      return;
    }
    const page = pageFor(sessionId);
    await send('Network.enable', {}, sessionId);
    await send('Page.enable', {}, sessionId);
    await send('Runtime.runIfWaitingForDebugger', {}, sessionId);
    attached.set(info.targetId, { page, sessionId, openerId: info.openerId });
    const waiter = targetWaiters.get(info.targetId);
    if (waiter) {
      targetWaiters.delete(info.targetId);
      waiter(page);
    } else if (info.openerId) {
      const popupWaiter = popupWaiters.shift();
      if (popupWaiter) popupWaiter(page);
      else unclaimedPopups.push(page);
    }
  };

  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as CdpMessage;
    if (message.id !== undefined) {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(message.error.message));
      else waiter?.resolve(message.result ?? {});
      return;
    }
    const params = message.params ?? {};
    switch (message.method) {
      case 'Target.attachedToTarget':
        void onAttached(params.sessionId as string, params.targetInfo as TargetInfo).catch(() => undefined);
        break;
      case 'Target.detachedFromTarget':
        for (const [targetId, entry] of attached) {
          if (entry.sessionId === params.sessionId) attached.delete(targetId);
        }
        break;
      case 'Network.responseReceived': {
        const response = params.response as { url: string; status: number; headers: Record<string, string> };
        responses.push({
          url: response.url,
          status: response.status,
          headers: Object.fromEntries(
            Object.entries(response.headers).map(([name, value]) => [name.toLowerCase(), value]),
          ),
        });
        break;
      }
    }
  });

  // Every new page (a tab opened here or a popup a page opens) waits for us before it runs.
  await send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true });

  const browser: HeadlessChromium = {
    async open(url) {
      const { targetId } = (await send('Target.createTarget', { url: 'about:blank' })) as {
        targetId: string;
      };
      const page =
        attached.get(targetId)?.page ??
        (await new Promise<BrowserPage>((resolve) => targetWaiters.set(targetId, resolve)));
      await send('Page.navigate', { url }, attached.get(targetId)?.sessionId);
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
    nextPopup() {
      const ready = unclaimedPopups.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        // Bounded, so a popup that never opens fails the step (and its screenshot is taken).
        const timer = setTimeout(() => {
          popupWaiters.splice(popupWaiters.indexOf(waiter), 1);
          reject(new Error('no popup opened'));
        }, 10_000);
        const waiter = (page: BrowserPage) => {
          clearTimeout(timer);
          resolve(page);
        };
        popupWaiters.push(waiter);
      });
    },
    pages: () => [...attached.values()].map((entry) => entry.page),
    responses: () => responses,
    async close() {
      liveBrowsers.delete(browser);
      socket.close();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(profile, { recursive: true, force: true });
    },
  };
  liveBrowsers.add(browser);
  return browser;
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
