import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestContext } from 'vitest';
import { liveBrowsers } from './chromium.js';

/** Git-ignored; CI keeps it as an artefact of a failed run. */
export const BROWSER_RESULTS_DIR = 'test-results/browser';

/** A file name from a test's name: letters, digits and dashes only. */
export function screenshotName(testName: string): string {
  return (
    testName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 100) || 'browser-test'
  );
}

/**
 * A PNG of every page each running browser of this worker has open, and the page's URL
 * beside it (`<name>[-n].png`, `<name>[-n].url`); returns the PNG paths. A page that cannot
 * be captured any more (closed meanwhile) is skipped: the test's own error is what matters.
 */
export async function saveBrowserScreenshots(testName: string, dir = BROWSER_RESULTS_DIR): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const base = screenshotName(testName);
  // An earlier failure's files of the same test would read as this one's.
  for (const file of readdirSync(dir)) {
    if (new RegExp(`^${base}(-\\d+)?\\.(png|url)$`).test(file)) rmSync(join(dir, file));
  }
  const saved: string[] = [];
  const pages = [...liveBrowsers].flatMap((browser) => browser.contexts()).flatMap((c) => c.pages());
  for (const page of pages) {
    try {
      const url = page.url();
      if (url === 'about:blank') continue;
      const png = await page.screenshot({ type: 'png' });
      const name = saved.length === 0 ? base : `${base}-${saved.length + 1}`;
      const path = resolve(join(dir, `${name}.png`));
      writeFileSync(path, png);
      writeFileSync(resolve(join(dir, `${name}.url`)), `${url}\n`);
      saved.push(path);
    } catch {
      // Gone while we looked.
    }
  }
  return saved;
}

/**
 * Wraps a real-browser test: when it fails, every open page is saved as a screenshot (with
 * its URL) under test-results/browser/, named after the test, and the paths are printed and
 * added to the error, then the failure goes on as it was.
 */
export function withScreenshots(
  body: (context: TestContext) => Promise<void>,
  dir = BROWSER_RESULTS_DIR,
): (context: TestContext) => Promise<void> {
  return async (context) => {
    try {
      await body(context);
    } catch (error) {
      const paths = await saveBrowserScreenshots(context.task.name, dir);
      if (paths.length > 0) {
        const where = `browser screenshots: ${paths.join(', ')}`;
        process.stderr.write(`${where}\n`);
        if (error instanceof Error) error.message += `\n${where}`;
      }
      throw error;
    }
  };
}
