import { systemActor } from '@orderops/audit';
import { ClientsService } from '@orderops/auth';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_PASSWORD } from '../support/auth.js';
import { freePort } from '../support/processes.js';
import { formFields } from '../support/sign-in.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { provisionTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * Issue 13 §3: a standard, certified OpenID Connect relying party (panva's openid-client 6)
 * completes the whole flow against the running app: discovery, authorization code + PKCE
 * (the library builds the authorization URL and checks the callback: state, iss, and the ID
 * token's signature through the JWKS, nonce, aud, iat/exp), the sign-in page (driven here
 * with fetch, cookies carried by hand as a browser would), userinfo, refresh, and
 * RP-initiated logout with the URL the library builds.
 *
 * The issuer is plain http on loopback, which openid-client refuses unless told:
 * allowInsecureRequests, for this test only.
 */

const REDIRECT_PATH = '/callback';

/** A browser's cookie jar, reduced to what the sign-in flow sets: name -> value. */
class Cookies {
  private readonly jar = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';', 1);
      const at = pair.indexOf('=');
      const value = pair.slice(at + 1);
      if (value === '') this.jar.delete(pair.slice(0, at));
      else this.jar.set(pair.slice(0, at), value);
    }
  }
  header(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }
  names(): string[] {
    return [...this.jar.keys()];
  }
}

describe('openid-client (a certified OIDC relying party) against the running app', () => {
  let db: TestDatabase;
  let t: TestApp;
  let issuer: string;
  let redirectUri: string;
  let postLogoutUri: string;
  let config: oidc.Configuration;
  const cookies = new Cookies();

  /** GET or POST without following redirects, carrying and keeping the cookies. */
  const browse = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: cookies.header() },
    });
    cookies.take(res);
    return res;
  };

  beforeAll(async () => {
    db = await provisionTestDatabase();
    // The issuer is the URL the app is reached at (discovery checks it, RFC 8414 §3.3).
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    t = await startTestApp({
      ...db.env,
      ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      ORDEROPS_ISSUER: issuer,
      // Loopback: any port (RFC 8252 §7.3).
      ORDEROPS_WEB_REDIRECT_URIS: `http://127.0.0.1${REDIRECT_PATH}`,
    });
    await t.app.listen({ port, host: '127.0.0.1' });
    // The relying party's own loopback callback (it never has to listen: the test reads the
    // redirect), and where it wants to land after logout, registered through the service.
    redirectUri = `http://127.0.0.1:${port + 1}${REDIRECT_PATH}`;
    postLogoutUri = `http://127.0.0.1:${port + 1}/signed-out`;
    await t.app
      .get(ClientsService)
      .updateFlows('orderops-web', { postLogoutRedirectUris: [postLogoutUri] }, systemActor('spec'));
  }, 90_000);

  afterAll(async () => {
    await t?.close();
    await db?.dispose();
  });

  it('discovery, code + PKCE through the sign-in page, userinfo, refresh and logout', async () => {
    config = await oidc.discovery(new URL(issuer), 'orderops-web', undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    expect(config.serverMetadata().issuer).toBe(issuer);

    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const authorizationUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid orders:read',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });

    // The browser's part: the sign-in page, its form, and the redirect back with a code.
    const page = await browse(authorizationUrl.href);
    expect(page.status).toBe(200);
    const fields = formFields(await page.text());
    const posted = await browse(`${issuer}/oauth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        csrf_token: fields.csrfToken,
        authorization: fields.authorization,
        username: 'admin',
        password: TEST_ADMIN_PASSWORD,
      }),
    });
    expect(posted.status).toBe(303);
    const back = await browse(new URL(posted.headers.get('location') ?? '', issuer).href);
    expect(back.status).toBe(302);
    const callback = new URL(back.headers.get('location') ?? '');
    expect(callback.origin + callback.pathname).toBe(redirectUri);

    // The checks are real: a callback from another issuer, or with another state, is refused
    // before the code is sent anywhere (so the code is still good for the exchange below).
    const checks = { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce };
    const otherIssuer = new URL(callback);
    otherIssuer.searchParams.set('iss', 'https://attacker.example');
    await expect(oidc.authorizationCodeGrant(config, otherIssuer, checks)).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/"iss"/) as unknown },
    });
    const otherState = new URL(callback);
    otherState.searchParams.set('state', oidc.randomState());
    await expect(oidc.authorizationCodeGrant(config, otherState, checks)).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/"state"/) as unknown },
    });

    // The library checks state, iss (RFC 9207), and the ID token (signature by the JWKS,
    // iss, aud, nonce, exp/iat), then exchanges the code with the verifier.
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    expect(claims).toMatchObject({ iss: issuer, aud: 'orderops-web', nonce, preferred_username: 'admin' });
    expect(tokens.scope?.split(' ').sort()).toEqual(['openid', 'orders:read']);

    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims!.sub);
    expect(userinfo).toMatchObject({ sub: claims!.sub, preferred_username: 'admin' });

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    const orders = await fetch(`${issuer}/orders`, {
      headers: { authorization: `Bearer ${refreshed.access_token}` },
    });
    expect(orders.status).toBe(200);

    // RP-initiated logout at the URL the library builds (it names the client by client_id).
    const logoutState = oidc.randomState();
    const endSession = oidc.buildEndSessionUrl(config, {
      post_logout_redirect_uri: postLogoutUri,
      state: logoutState,
    });
    expect(endSession.searchParams.get('client_id')).toBe('orderops-web');
    const confirm = await browse(endSession.href);
    expect(confirm.status).toBe(200);
    const html = await confirm.text();
    const csrf = /name="csrf_token" value="([^"]*)"/.exec(html)?.[1] ?? '';
    const loggedOut = await browse(`${issuer}/oauth/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        csrf_token: csrf,
        client_id: 'orderops-web',
        post_logout_redirect_uri: postLogoutUri,
        state: logoutState,
      }),
    });
    expect(loggedOut.status).toBe(303);
    const landed = new URL(loggedOut.headers.get('location') ?? '');
    expect(landed.origin + landed.pathname).toBe(postLogoutUri);
    expect(landed.searchParams.get('state')).toBe(logoutState);
    expect(cookies.names().some((name) => name.endsWith('orderops_session'))).toBe(false);

    // The session's refresh tokens ended with it: the library's refresh now fails.
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });
});
