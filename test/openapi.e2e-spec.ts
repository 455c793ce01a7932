import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiDocument, serializeOpenApi } from '../apps/api/src/app.factory.js';
import { APP_VERSION } from '../apps/api/src/version.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { provisionTestDatabase, type TestDatabase } from './support/test-database.js';

describe('OpenAPI document', () => {
  let db: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    db = await provisionTestDatabase();
    t = await startTestApp(db.env);
  });
  afterAll(async () => {
    await t?.close();
    await db?.dispose();
  });

  it('the checked-in openapi.json matches the code (run `npm run openapi` after changing routes)', () => {
    expect(readFileSync('openapi.json', 'utf8')).toBe(serializeOpenApi(buildApiDocument(t.app)));
  });

  it('carries the package version', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(APP_VERSION).toBe(pkg.version);
    expect(buildApiDocument(t.app).info.version).toBe(pkg.version);
  });

  it('is not served when DOCS_ENABLED=false (the production default)', async () => {
    const other = await provisionTestDatabase();
    const off = await startTestApp({ ...other.env, DOCS_ENABLED: 'false' });
    try {
      expect((await off.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBe(404);
      expect((await off.app.inject({ method: 'GET', url: '/docs/openapi.json' })).statusCode).toBe(404);
    } finally {
      await off.close();
      await other.dispose();
    }
  });
});
