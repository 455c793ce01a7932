import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildApiDocument, serializeOpenApi } from '../apps/api/src/app.factory.js';
import { APP_VERSION } from '../apps/api/src/version.js';
import { startTestApp } from './support/test-app.js';
import { provisionTestDatabase } from './support/test-database.js';
import { useTestApp } from './support/use-test-app.js';

describe('OpenAPI document', () => {
  const t = useTestApp({ bootstrapAdmin: false });

  it('the checked-in openapi.json matches the code (run `npm run openapi` after changing routes)', () => {
    expect(readFileSync('openapi.json', 'utf8')).toBe(serializeOpenApi(buildApiDocument(t.app)));
  });

  it('carries the package version', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(APP_VERSION).toBe(pkg.version);
    expect(buildApiDocument(t.app).info.version).toBe(pkg.version);
  });

  it('offers operators the authorization code flow with PKCE and partners client credentials, never the password flow', async () => {
    const schemes = buildApiDocument(t.app).components?.securitySchemes ?? {};
    const oauth = Object.values(schemes).find((s) => 'type' in s && s.type === 'oauth2') as unknown as {
      flows: Record<string, { authorizationUrl?: string; tokenUrl: string }>;
    };
    expect(Object.keys(oauth.flows).sort()).toEqual(['authorizationCode', 'clientCredentials']);
    expect(oauth.flows.authorizationCode).toMatchObject({
      authorizationUrl: '/oauth/authorize',
      tokenUrl: '/oauth/token',
    });
    // Swagger UI's own settings: the public client orderops-docs, PKCE, and the redirect page
    // registered for it under the issuer.
    const init = await t.app.inject({ method: 'GET', url: '/docs/swagger-ui-init.js' });
    expect(init.statusCode).toBe(200);
    expect(init.body).toMatch(/"clientId":\s*"orderops-docs"/);
    expect(init.body).toMatch(/"usePkceWithAuthorizationCodeGrant":\s*true/);
    expect(init.body).toContain(`"oauth2RedirectUrl": "${t.config.auth.issuer}/docs/oauth2-redirect.html"`);
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
