import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserPage } from './headless-chromium.js';
import { authorizeQuery } from './sign-in.js';

/** A stand-in SPA on its own origin: a blank page at every path, the callback included. */
export async function frontend(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>spa</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Polls the page until `expression` is truthy (navigations replace the document under it). */
export async function waitFor<T>(page: BrowserPage, expression: string, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    try {
      const value = await page.evaluate<T>(`document.readyState === 'complete' ? (${expression}) : null`);
      if (value) return value;
    } catch {
      // The document is being replaced; ask again.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The authorize URL a frontend sends the browser to, as a URL its test may adjust further. */
export function authorizeUrl(api: string, params: Record<string, string>): URL {
  return new URL(`${api}/oauth/authorize?${authorizeQuery(params)}`);
}
