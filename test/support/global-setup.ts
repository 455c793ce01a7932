import { existsSync } from 'node:fs';

/**
 * Runs once before any suite. Refuses a DATABASE_URL whose database name lacks "test": the
 * suites create and drop databases and must never be pointed at real data.
 */
export default function setup(): void {
  const url = process.env.DATABASE_URL;
  if (url) {
    const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
    if (!name.toLowerCase().includes('test')) {
      throw new Error('Refusing to run the tests: the DATABASE_URL database name must contain "test".');
    }
  }
  if (!existsSync('dist/apps/api/src/main.js')) {
    throw new Error('The built app is missing: run the tests with `npm test` (it builds first).');
  }
}
