import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Response } from 'playwright-core';

/**
 * A real headless Chromium driven by playwright-core: the browser's own rules (CSP,
 * form-action, cookies, CORS) are the things under test, so nothing may stand in for them;
 * no route interception is set up anywhere, so every request goes over the network as the
 * page sent it. playwright-core downloads no browser: this is Debian's `chromium` package.
 */

/** Debian's package; CHROMIUM_PATH points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The browsers this worker has running, for the failure screenshots (browser-failure.ts). */
export const liveBrowsers = new Set<Browser>();

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}: install Debian's chromium package, or set CHROMIUM_PATH`,
    );
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    // Chromium's sandbox cannot start as root (CI containers); the pages are our own.
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
  liveBrowsers.add(browser);
  browser.on('disconnected', () => liveBrowsers.delete(browser));
  return browser;
}

/**
 * Every response any page of `context` receives from now on, popups included (a context
 * sees its pages' traffic from their first request), in the order they arrived.
 */
export function networkLog(context: BrowserContext): readonly Response[] {
  const responses: Response[] = [];
  context.on('response', (response) => responses.push(response));
  return responses;
}

/** A step (click, fill, navigation, wait) fails after this long: well inside a test's timeout. */
export const STEP_TIMEOUT_MS = 10_000;

/**
 * A fresh context (its own cookie jar, so no session of another test carries over) whose
 * steps fail after STEP_TIMEOUT_MS: a stuck step then fails the test body itself, and its
 * screenshot is taken while the pages are still open, before vitest's timeout would abort it.
 */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  return context;
}
