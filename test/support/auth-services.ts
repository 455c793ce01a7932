import { Test, type TestingModule } from '@nestjs/testing';
import { AuditCoreModule, auditSchema } from '@orderops/audit';
import { AuthCoreModule, authSchema } from '@orderops/auth';
import { CoreModule, loadConfig } from '@orderops/core';
import { DataSource } from 'typeorm';
import { LogCapture } from './log-capture.js';
import { provisionTestDatabase, type TestDatabase } from './test-database.js';

export interface AuthServices {
  /** Every auth provider, repositories included (`get(X, { strict: false })`). */
  readonly module: TestingModule;
  /** For arranging and inspecting rows the way no service would (ageing a lock, say). */
  readonly dataSource: DataSource;
  close(): Promise<void>;
}

/**
 * The auth services and repositories without HTTP, on a fresh database of the suite's kind
 * (embedded, or PostgreSQL under DATABASE_URL): for specs of the rules at the service seam.
 * With `database`, on that one instead (a restart with other settings); the caller disposes it.
 */
export async function startAuthServices(
  env: Record<string, string> = {},
  options: { database?: TestDatabase } = {},
): Promise<AuthServices> {
  const db: TestDatabase = options.database ?? (await provisionTestDatabase());
  const dispose = () => (options.database ? Promise.resolve() : db.dispose());
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn', ...db.env, ...env });
  try {
    const module = await Test.createTestingModule({
      imports: [
        CoreModule.forRoot({ config, schemas: [authSchema, auditSchema], logDestination: new LogCapture() }),
        AuditCoreModule,
        AuthCoreModule,
      ],
    }).compile();
    try {
      await module.init();
    } catch (error) {
      // A refused start must not keep the database open (the embedded one allows one process).
      await module.close().catch(() => undefined);
      throw error;
    }
    return {
      module,
      dataSource: module.get(DataSource),
      close: async () => {
        await module.close();
        await dispose();
      },
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
