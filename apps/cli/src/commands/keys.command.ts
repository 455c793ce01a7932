import { systemActor } from '@orderops/audit';
import { SigningKeysService } from '@orderops/auth';
import { GroupCommand } from './group-command.js';
import { CliRuntime } from '../cli-runtime.js';
import { Command, CommandRunner, SubCommand } from 'nest-commander';

@SubCommand({
  name: 'rotate',
  description: 'Start signing with a new key; the old one verifies until its tokens expire',
})
export class KeysRotateCommand extends CommandRunner {
  constructor(private readonly runtime: CliRuntime) {
    super();
  }

  async run(): Promise<void> {
    const { kid, retired } = await (await this.runtime.get(SigningKeysService)).rotate(systemActor('cli'));
    process.stdout.write(`New signing key: ${kid}\nRetired: ${retired.join(', ') || '(none)'}\n`);
  }
}

@SubCommand({ name: 'list', description: 'List signing keys' })
export class KeysListCommand extends CommandRunner {
  constructor(private readonly runtime: CliRuntime) {
    super();
  }

  async run(): Promise<void> {
    for (const key of await (await this.runtime.get(SigningKeysService)).list()) {
      const state = key.active
        ? 'active'
        : `retired ${key.retiredAt ?? ''}, verifies until ${key.verifyUntil ?? ''}`;
      process.stdout.write(`${key.kid}  ${key.algorithm}  created ${key.createdAt}  ${state}\n`);
    }
  }
}

@Command({
  name: 'keys',
  description: 'Manage token-signing keys',
  subCommands: [KeysRotateCommand, KeysListCommand],
})
export class KeysCommand extends GroupCommand {}
