import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { createHash, randomBytes } from 'node:crypto';
import { form } from './auth.js';

/** A PKCE pair (RFC 7636): a random verifier and its S256 challenge. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizeQuery(params: Record<string, string | string[]>): string {
  return form(params);
}

/** The cookies a response sets, by name, with their attributes as written. */
export function setCookies(res: LightMyRequestResponse): Map<string, string> {
  const raw = res.headers['set-cookie'];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return new Map(list.map((c) => [c.slice(0, c.indexOf('=')), c]));
}

/** `name=value` of a Set-Cookie line, for the next request's Cookie header. */
export function cookiePair(setCookie: string | undefined): string {
  if (setCookie === undefined) throw new Error('no such cookie was set');
  return setCookie.split(';', 1)[0];
}

export interface SignInPageFields {
  csrfToken: string;
  authorization: string;
}

/** The hidden fields of the sign-in form in a page. */
export function formFields(html: string): SignInPageFields {
  const value = (name: string) => {
    const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
    if (!match) throw new Error(`the page has no ${name} field`);
    return match[1].replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'");
  };
  return { csrfToken: value('csrf_token'), authorization: value('authorization') };
}

export function postSignIn(
  app: NestFastifyApplication,
  fields: Record<string, string>,
  cookie: string,
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/oauth/sign-in',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    payload: form(fields),
  });
}

export interface SignedIn {
  /** The Cookie header carrying the session. */
  sessionCookie: string;
  /** The redirect to the client, with the code. */
  location: URL;
}

/**
 * The browser's path through authorize -> sign-in page -> POST -> authorize again, as a
 * browser would walk it (cookies carried by hand), failing on any unexpected answer.
 */
export async function signInThrough(
  app: NestFastifyApplication,
  query: string,
  username: string,
  password: string,
): Promise<SignedIn> {
  const page = await app.inject({ method: 'GET', url: `/oauth/authorize?${query}` });
  if (page.statusCode !== 200) throw new Error(`authorize answered ${page.statusCode}: ${page.body}`);
  const [preSession] = [...setCookies(page).values()];
  const fields = formFields(page.body);
  const posted = await postSignIn(
    app,
    { csrf_token: fields.csrfToken, authorization: fields.authorization, username, password },
    cookiePair(preSession),
  );
  if (posted.statusCode !== 303) throw new Error(`sign-in answered ${posted.statusCode}: ${posted.body}`);
  const session = [...setCookies(posted).entries()].find(([name]) => name.endsWith('orderops_session'));
  const sessionCookie = cookiePair(session?.[1]);
  const again = await app.inject({
    method: 'GET',
    url: String(posted.headers.location),
    headers: { cookie: sessionCookie },
  });
  if (again.statusCode !== 302) throw new Error(`authorize after sign-in answered ${again.statusCode}`);
  return { sessionCookie, location: new URL(String(again.headers.location)) };
}
