import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;

/**
 * Runs helmet's middleware once against a recording response and keeps the headers it
 * set: with these options they depend on nothing in the request, so every response can
 * carry the same set. (The Fastify plugin built a new helmet middleware for each request.)
 * The content security policy is left out: it is set per path (API or docs) in http-setup.
 */
function helmetHeaders(): Readonly<Record<string, string>> {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value));
      return recorder;
    },
    removeHeader(name: string) {
      headers.delete(name.toLowerCase());
    },
  };
  helmet({
    contentSecurityPolicy: false,
    strictTransportSecurity: { maxAge: ONE_YEAR_SECONDS, includeSubDomains: true },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
  })({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error instanceof Error) throw error;
  });
  if (headers.size === 0) throw new Error('helmet set no headers');
  return Object.freeze(Object.fromEntries(headers));
}

export const SECURITY_HEADERS = helmetHeaders();
