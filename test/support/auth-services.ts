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
 */
export async function startAuthServices(env: Record<string, string> = {}): Promise<AuthServices> {
  const db: TestDatabase = await provisionTestDatabase();
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn', ...db.env, ...env });
  try {
    const module = await Test.createTestingModule({
      imports: [
        CoreModule.forRoot({ config, schemas: [authSchema, auditSchema], logDestination: new LogCapture() }),
        AuditCoreModule,
        AuthCoreModule,
      ],
    }).compile();
    await module.init();
    return {
      module,
      dataSource: module.get(DataSource),
      close: async () => {
        await module.close();
        await db.dispose();
      },
    };
  } catch (error) {
    await db.dispose();
    throw error;
  }
}
