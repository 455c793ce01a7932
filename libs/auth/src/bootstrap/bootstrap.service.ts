import { ALL_SCOPES } from '@orderops/access';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { systemActor } from '@orderops/audit';
import { InjectConfig, ROOT_LOGGER, type AppConfig } from '@orderops/core';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { UsernameTakenError, WeakPasswordError } from '../auth.errors.js';
import { ClientsService } from '../clients/clients.service.js';
import { OperatorsService } from '../operators/operators.service.js';

export const BOOTSTRAP_ADMIN_USERNAME = 'admin';
export const BOOTSTRAP_ADMIN_FILE = 'bootstrap-admin.txt';

/**
 * First start: the built-in public clients, and an `admin` operator with every scope when
 * there is no operator yet. Its password comes from ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD; in
 * development without it, a random one is written to <data dir>/bootstrap-admin.txt (0600)
 * and only that path is logged.
 */
@Injectable()
export class BootstrapService implements OnApplicationBootstrap {
  private readonly logger: Logger;

  constructor(
    private readonly operators: OperatorsService,
    private readonly clients: ClientsService,
    @InjectConfig() private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ context: 'Bootstrap' });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.clients.ensureBuiltIns();
    if ((await this.operators.count()) > 0) return;
    const password = this.config.auth.bootstrapAdminPassword?.reveal() ?? this.generatedPassword();
    if (password === undefined) {
      this.logger.warn('No operator exists; create one with `orderops operators create`');
      return;
    }
    try {
      await this.operators.create(BOOTSTRAP_ADMIN_USERNAME, password, ALL_SCOPES, systemActor('bootstrap'));
      this.logger.info({ username: BOOTSTRAP_ADMIN_USERNAME }, 'Created the bootstrap admin operator');
    } catch (error) {
      if (error instanceof WeakPasswordError) {
        const reason = error.errors?.[0]?.message ?? 'does not meet the policy';
        throw new Error(`ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD is refused by the password policy: ${reason}`);
      }
      // Another replica created it first.
      if (!(error instanceof UsernameTakenError)) throw error;
    }
  }

  private generatedPassword(): string | undefined {
    if (this.config.isProduction) return undefined;
    const password = randomBytes(18).toString('base64url');
    const file = join(this.config.dataDir, BOOTSTRAP_ADMIN_FILE);
    writeFileSync(file, `${password}\n`, { mode: 0o600, flag: 'w' });
    this.logger.info({ file }, 'Bootstrap admin password written to file');
    return password;
  }
}
