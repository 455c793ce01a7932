import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { InjectConfig, type AppConfig } from '@orderops/core';
import jwt, { type JwtHeader } from 'jsonwebtoken';
import type { KeyObject } from 'node:crypto';
import { Strategy, type StrategyOptionsWithRequest } from 'passport-jwt';
import type { Principal } from '../principal.js';
import {
  AccessTokenVerifier,
  TokenRejectedError,
  jwtVerifyOptions,
} from '../tokens/access-token-verifier.js';
import { VerifiedTokenCache } from '../tokens/verified-token-cache.js';
import { bearerTokenOf } from './bearer.js';

export const JWT_STRATEGY = 'orderops-jwt';

type TokenHeader = JwtHeader & Record<string, unknown>;

interface BearerRequest {
  headers: Record<string, unknown>;
}

/**
 * passport-jwt with an explicit algorithm list, issuer, audience and leeway; the key comes
 * from the token's `kid` among our own keys only, after the header checks of the verifier.
 * A token string that passed all of that before skips the signature check until its `exp`
 * (while its key still verifies); revocation and the subject's standing are checked on
 * every request either way.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  private readonly verified = new VerifiedTokenCache();

  constructor(
    private readonly verifier: AccessTokenVerifier,
    @InjectConfig() config: AppConfig,
  ) {
    const verifyOptions = jwtVerifyOptions(config);
    const options: StrategyOptionsWithRequest = {
      jwtFromRequest: (request: BearerRequest) => bearerTokenOf(request.headers) ?? null,
      secretOrKeyProvider: (_request, rawToken: string, callback) => {
        // passport-jwt's typings predate KeyObject support; jsonwebtoken 9 (which it calls)
        // takes a KeyObject, which spares parsing a PEM on every request.
        const done = callback as unknown as (error: unknown, key?: KeyObject) => void;
        const decoded = jwt.decode(rawToken, { complete: true });
        if (!decoded) {
          done(new TokenRejectedError('malformed'));
          return;
        }
        verifier.keyForHeader(decoded.header as TokenHeader).then(
          (key) => done(null, key),
          (error: unknown) => done(error),
        );
      },
      algorithms: verifyOptions.algorithms,
      issuer: config.auth.issuer,
      audience: verifyOptions.audience as string,
      jsonWebTokenOptions: { clockTolerance: verifyOptions.clockTolerance },
      ignoreExpiration: false,
      passReqToCallback: true,
    };
    super(options);
  }

  /** Passport calls this per request (on a per-request copy of the strategy). */
  override authenticate(...args: Parameters<Strategy['authenticate']>): void {
    const token = bearerTokenOf((args[0] as BearerRequest).headers);
    const cached = token === undefined ? undefined : this.verified.get(token);
    if (cached === undefined) {
      super.authenticate(...args);
      return;
    }
    // The same header selects the key again: a key that stopped verifying (retired past
    // its window) fails here as it would in a full check.
    this.verifier
      .keyForHeader(cached.header)
      .then(() => this.verifier.principalFor(cached.payload))
      .then(
        (principal) => this.success(principal),
        (error: unknown) => this.error(error as Error),
      );
  }

  /** Runs only after passport-jwt verified the signature and claims of the bearer token. */
  async validate(request: BearerRequest, payload: Record<string, unknown>): Promise<Principal> {
    const token = bearerTokenOf(request.headers);
    const decoded = token === undefined ? null : jwt.decode(token, { complete: true });
    if (token !== undefined && decoded) {
      this.verified.remember(token, { header: decoded.header as TokenHeader, payload });
    }
    return this.verifier.principalFor(payload);
  }
}
