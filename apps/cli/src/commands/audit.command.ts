import {
  AuditService,
  toAuditVerificationResponse,
  parseAuditCheckpoint,
  signAuditCheckpoint,
  verifyAuditCheckpoint,
} from '@orderops/audit';
import { SigningKeysService } from '@orderops/auth';
import { readFileSync } from 'node:fs';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';

interface VerifyOptions {
  checkpoint?: string;
}

function print(report: object): void {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

@SubCommand({
  name: 'verify',
  description:
    'Verify the audit hash chain (exit 0 valid, 1 broken); with --checkpoint, also that the chain still reaches a signed checkpoint',
})
export class AuditVerifyCommand extends CommandRunner {
  constructor(
    private readonly audit: AuditService,
    private readonly keys: SigningKeysService,
  ) {
    super();
  }

  @Option({
    flags: '--checkpoint <file>',
    description: 'a checkpoint printed by `orderops audit checkpoint`',
  })
  parseCheckpoint(value: string): string {
    return value;
  }

  async run(_args: string[], options: VerifyOptions = {}): Promise<void> {
    if (options.checkpoint === undefined) {
      const result = await this.audit.verify();
      print(toAuditVerificationResponse(result));
      if (!result.valid) process.exitCode = 1;
      return;
    }
    let text: string;
    try {
      text = readFileSync(options.checkpoint, 'utf8');
    } catch {
      throw new Error('cannot read the checkpoint file');
    }
    const checkpoint = parseAuditCheckpoint(text);
    if (!checkpoint) throw new Error('the checkpoint file is not an OrderOps audit checkpoint');
    const signature = await verifyAuditCheckpoint(checkpoint, (kid) => this.keys.storedPublicKey(kid));
    const result = await this.audit.verify(checkpoint);
    const { seq, hash, at, kid } = checkpoint;
    // A checkpoint whose signature does not hold proves nothing: the run fails.
    print({
      ...toAuditVerificationResponse(result),
      valid: result.valid && signature === 'valid',
      checkpoint: { seq: Number(seq), hash, at, kid, signature },
    });
    if (!result.valid || signature !== 'valid') process.exitCode = 1;
  }
}

@SubCommand({
  name: 'checkpoint',
  description:
    'Print the chain head {seq, hash, at} signed with the current signing key (keep it outside the database)',
})
export class AuditCheckpointCommand extends CommandRunner {
  constructor(
    private readonly audit: AuditService,
    private readonly keys: SigningKeysService,
  ) {
    super();
  }

  async run(): Promise<void> {
    const head = await this.audit.head();
    const signed = signAuditCheckpoint(
      { seq: head.seq, hash: head.hash, at: new Date().toISOString() },
      this.keys.currentSigner(),
    );
    process.stdout.write(`${JSON.stringify(signed)}\n`);
  }
}

@Command({
  name: 'audit',
  description: 'Verify the audit trail and take signed checkpoints of it',
  subCommands: [AuditVerifyCommand, AuditCheckpointCommand],
})
export class AuditCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}
