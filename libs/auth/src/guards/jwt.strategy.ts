import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { InjectConfig, type AppConfig } from '@orderops/core';
import jwt, { type JwtHeader } from 'jsonwebtoken';
import type { KeyObject } from 'node:crypto';
import { Strategy, type StrategyOptionsWithoutRequest } from 'passport-jwt';
import type { Principal } from '../principal.js';
import { AccessTokenVerifier, jwtVerifyOptions } from '../tokens/access-token-verifier.js';
import { bearerTokenOf } from './bearer.js';

export const JWT_STRATEGY = 'orderops-jwt';

/**
 * passport-jwt with an explicit algorithm list, issuer, audience and leeway; the key comes
 * from the token's `kid` among our own keys only, after the header checks of the verifier.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    @InjectConfig() config: AppConfig,
  ) {
    const verifyOptions = jwtVerifyOptions(config);
    const options: StrategyOptionsWithoutRequest = {
      jwtFromRequest: (request: { headers: Record<string, unknown> }) =>
        bearerTokenOf(request.headers) ?? null,
      secretOrKeyProvider: (_request, rawToken: string, callback) => {
        // passport-jwt's typings predate KeyObject support; jsonwebtoken 9 (which it calls)
        // takes a KeyObject, which spares parsing a PEM on every request.
        const done = callback as unknown as (error: unknown, key?: KeyObject) => void;
        const decoded = jwt.decode(rawToken, { complete: true });
        if (!decoded) {
          done(new Error('malformed token'));
          return;
        }
        verifier.keyForHeader(decoded.header as JwtHeader & Record<string, unknown>).then(
          (key) => done(null, key),
          (error: unknown) => done(error),
        );
      },
      algorithms: verifyOptions.algorithms,
      issuer: config.auth.issuer,
      audience: verifyOptions.audience as string,
      jsonWebTokenOptions: { clockTolerance: verifyOptions.clockTolerance },
      ignoreExpiration: false,
    };
    super(options);
  }

  validate(payload: unknown): Promise<Principal> {
    return this.verifier.principalFor(payload);
  }
}
