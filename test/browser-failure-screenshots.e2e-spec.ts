import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { screenshotName, withScreenshots } from './support/browser-failure.js';
import { launchChromium, newContext } from './support/chromium.js';
import { makeTempDir } from './support/test-database.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * The failure screenshots every real-browser suite takes (test/support/browser-failure.ts):
 * a deliberately failing inner step leaves a PNG of the open page and its URL, named after
 * the test, and the failure itself goes on unchanged apart from the paths it now names.
 */
describe('screenshots of a failed real-browser test', () => {
  let server: Server;
  let origin: string;
  let browser: Browser;
  let browserContext: BrowserContext;
  const dirs: string[] = [];
  const resultsDir = () => {
    const dir = makeTempDir('orderops-screenshots-');
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>failing page</title><h1>the page under test</h1>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
    browserContext = await newContext(browser);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** What vitest hands a test body, as much of it as the helper reads. */
  const context = (name: string) => ({ task: { name } }) as unknown as TestContext;

  it('a passing step leaves nothing behind', async () => {
    const dir = resultsDir();
    const page = await browserContext.newPage();
    await page.goto(`${origin}/passing`);
    await withScreenshots(() => Promise.resolve(), dir)(context('a passing browser step'));
    expect(existsSync(join(dir, `${screenshotName('a passing browser step')}.png`))).toBe(false);
  });

  it('a failing step saves the open page as a PNG with its URL, and rethrows with the path', async () => {
    const dir = resultsDir();
    const page = await browserContext.newPage();
    await page.goto(`${origin}/failing?step=1`);
    const name = 'a deliberately failing browser step';
    const failing = withScreenshots(async () => {
      expect(await page.title()).toBe('failing page');
      throw new Error('the inner step failed');
    }, dir);

    const error = await failing(context(name)).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/^the inner step failed\nbrowser screenshots: /);
    const png = join(dir, `${screenshotName(name)}.png`);
    expect(error?.message).toContain(png);
    const image = readFileSync(png);
    expect(image.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(image.length).toBeGreaterThan(1000);
    // Other pages still open in this browser are saved beside it (-2, -3, ...); this one by URL.
    const urls = [png, ...[2, 3, 4].map((n) => join(dir, `${screenshotName(name)}-${n}.png`))]
      .filter((p) => existsSync(p))
      .map((p) => readFileSync(p.replace(/\.png$/, '.url'), 'utf8'));
    expect(urls).toContain(`${origin}/failing?step=1\n`);
  });

  it('names files after the test with letters, digits and dashes only', () => {
    expect(screenshotName('Swagger UI: Authorize -> /docs “Try it out”')).toBe(
      'swagger-ui-authorize-docs-try-it-out',
    );
    expect(screenshotName('../../etc')).toBe('etc');
  });
});
