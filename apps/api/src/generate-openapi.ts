import 'reflect-metadata';
import { loadConfig, renderProblemsMarkdown } from '@orderops/core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildApiDocument, createApp, PROBLEM_CATALOGUE, serializeOpenApi } from './app.factory.js';

/**
 * `npm run openapi`: writes the OpenAPI document to openapi.json at the repository root.
 * Boots the app on a throwaway embedded database so the document reflects the real routes.
 */
async function generate(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'orderops-openapi-'));
  try {
    const config = loadConfig({ NODE_ENV: 'development', ORDEROPS_DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    const app = await createApp(config);
    const target = resolve(process.argv[2] ?? 'openapi.json');
    writeFileSync(target, serializeOpenApi(buildApiDocument(app)));
    await app.close();
    process.stdout.write(`Wrote ${target}\n`);
    // The problem catalogue for readers of docs/, from the same list as the document.
    writeFileSync(resolve('docs/problems.md'), renderProblemsMarkdown(PROBLEM_CATALOGUE));
    process.stdout.write('Wrote docs/problems.md\n');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

generate().catch((error: unknown) => {
  process.stderr.write(
    `openapi generation failed: ${error instanceof Error ? error.message : 'unknown error'}\n`,
  );
  process.exit(1);
});
