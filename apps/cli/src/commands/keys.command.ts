import { systemActor } from '@orderops/audit';
import { SigningKeysService } from '@orderops/auth';
import type { Command } from 'commander';
import type { CliRuntime } from '../cli-runtime.js';
import { groupCommand } from './group-command.js';

export function keysCommand(program: Command, runtime: CliRuntime): void {
  const keys = groupCommand(program, 'keys', 'Manage token-signing keys');
  keys
    .command('rotate')
    .description('Start signing with a new key; the old one verifies until its tokens expire')
    .action(async () => {
      const { kid, retired } = await (await runtime.get(SigningKeysService)).rotate(systemActor('cli'));
      process.stdout.write(`New signing key: ${kid}\nRetired: ${retired.join(', ') || '(none)'}\n`);
    });
  keys
    .command('list')
    .description('List signing keys')
    .action(async () => {
      for (const key of await (await runtime.get(SigningKeysService)).list()) {
        const state = key.active
          ? 'active'
          : `retired ${key.retiredAt ?? ''}, verifies until ${key.verifyUntil ?? ''}`;
        process.stdout.write(`${key.kid}  ${key.algorithm}  created ${key.createdAt}  ${state}\n`);
      }
    });
}
