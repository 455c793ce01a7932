import type { DatabaseSchema } from '@orderops/core';
import { AUTH_ENTITIES } from './auth.entities.js';
import { CreateAuth1732400000000 } from './migrations/1732400000000-create-auth.js';
import { LoginLocksTokenGenerations1733200000000 } from './migrations/1733200000000-login-locks-token-generations.js';
import { UniqueClientNames1733300000002 } from './migrations/1733300000002-unique-client-names.js';
import { ClientPreviousSecret1733300000004 } from './migrations/1733300000004-client-previous-secret.js';
import { ClientRedirects1733300000010 } from './migrations/1733300000010-client-redirects.js';
import { SessionsAndCodes1733300000011 } from './migrations/1733300000011-sessions-and-codes.js';
import { OperatorMfa1733300000020 } from './migrations/1733300000020-operator-mfa.js';
import { RefreshTokenAmr1733300000021 } from './migrations/1733300000021-refresh-token-amr.js';
import { SignInSteps1733300000022 } from './migrations/1733300000022-sign-in-steps.js';
import { TokenStandingNotifications1733300000024 } from './migrations/1733300000024-token-standing-notifications.js';

export const authSchema: DatabaseSchema = {
  entities: AUTH_ENTITIES,
  migrations: [
    CreateAuth1732400000000,
    LoginLocksTokenGenerations1733200000000,
    UniqueClientNames1733300000002,
    ClientPreviousSecret1733300000004,
    ClientRedirects1733300000010,
    SessionsAndCodes1733300000011,
    OperatorMfa1733300000020,
    RefreshTokenAmr1733300000021,
    SignInSteps1733300000022,
    TokenStandingNotifications1733300000024,
  ],
};
