import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateMasterKeysText } from './master-keys.js';

/** Secrets that development may invent for itself; production must be given them. */
export const GENERATED_SECRETS: Readonly<Record<string, () => string>> = {
  ORDEROPS_MASTER_KEYS: generateMasterKeysText,
  ORDEROPS_BLIND_INDEX_KEY: () => randomBytes(32).toString('base64'),
};

export function devSecretsDir(dataDir: string): string {
  return join(dataDir, 'secrets');
}

/**
 * Returns the development value of a secret, generating it on first use.
 * The file is created exclusively with mode 0600 (directory 0700), so a value is made once
 * and later boots, the CLI and the API agree on it.
 */
export function loadOrCreateDevSecret(dataDir: string, name: string): string {
  const generate = GENERATED_SECRETS[name];
  if (!generate) throw new Error(`no generator for ${name}`);
  const dir = devSecretsDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = join(dir, name);
  try {
    writeFileSync(file, `${generate()}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8').trim();
}
