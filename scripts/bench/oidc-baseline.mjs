// The token-issuance yardstick of `npm run bench:audit` (issue 16 names it): node-oidc-provider
// (a devDependency, pinned) in a process of its own, configured as small as the comparison
// allows: one confidential client allowed the client_credentials grant (client_secret_basic,
// like the API's bench client), its access tokens JWTs signed RS256 with a 2048-bit key
// generated at start, the provider's default in-memory adapter as its only store (it warns
// so once at start: that is the configuration the issue names). It
// listens on a free port of 127.0.0.1 and tells its parent over IPC:
//   { ready: true, port, clientId, clientSecret, tokenPath }
// A POST of `grant_type=client_credentials` to tokenPath then answers 200 with a token.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import process from 'node:process';
import Provider from 'oidc-provider';

const RESOURCE = 'urn:orderops:bench';
const clientId = 'bench-client';
const clientSecret = randomBytes(32).toString('base64url');
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

const provider = new Provider('http://127.0.0.1', {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'orders:read',
    },
  ],
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'bench-rs256' }] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  scopes: ['orders:read'],
  ttl: { ClientCredentials: 600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    // Without a resource the grant would mint an opaque token kept in the store; the API
    // mints a signed JWT, so the yardstick does too (the request needs no resource parameter).
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      getResourceServerInfo: () => ({
        scope: 'orders:read',
        audience: RESOURCE,
        accessTokenTTL: 600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});
// Its default error logging would print every refused request; the parent counts statuses.
provider.on('server_error', (_ctx, error) => process.stderr.write(`oidc-provider: ${error.message}\n`));

const server = createServer(provider.callback());
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send({ ready: true, port: server.address().port, clientId, clientSecret, tokenPath: '/token' });
});

const close = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.once('SIGTERM', close);
process.once('disconnect', close); // the parent killed outright
