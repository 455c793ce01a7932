import { describe, expect, it } from 'vitest';
import { APP_SCHEMAS } from '../apps/api/src/app.module.js';
import { CLI_SCHEMAS } from '../apps/cli/src/cli-services.module.js';

describe('schema composition', () => {
  it('the CLI migrates exactly the tables the API uses', () => {
    const names = (schemas: typeof APP_SCHEMAS) => schemas.flatMap((s) => s.migrations.map((m) => m.name));
    expect(names(CLI_SCHEMAS)).toEqual(names(APP_SCHEMAS));
    expect(names(APP_SCHEMAS).length).toBeGreaterThan(0);
  });
});
