import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
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

/**
 * Signs in on the sign-in page as a person does: types into the fields found by their
 * labels (so the labels are proven to name them) and presses the button, a real submit.
 */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/**
 * The URL the page lands on once a redirect chain brings it back to `origin` (and `also`
 * holds). A hop the browser blocks (form-action, a wrong redirect) leaves it elsewhere, and
 * this fails after the step timeout.
 */
export async function backAt(
  page: Page,
  origin: string,
  also: (url: URL) => boolean = () => true,
): Promise<URL> {
  await page.waitForURL((url) => url.origin === origin && also(url));
  return new URL(page.url());
}

/** The authorize URL a frontend sends the browser to, as a URL its test may adjust further. */
export function authorizeUrl(api: string, params: Record<string, string>): URL {
  return new URL(`${api}/oauth/authorize?${authorizeQuery(params)}`);
}
