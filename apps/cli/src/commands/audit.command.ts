import {
  AuditLog,
  checkpointHead,
  type CheckpointSignature,
  isTreeHead,
  parseAuditCheckpoint,
  type SignedAuditCheckpoint,
  signTreeHead,
  toAuditVerificationResponse,
  verifyAuditCheckpoint,
} from '@orderops/audit';
import { SigningKeysService } from '@orderops/auth';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError, fileError } from '../cli.errors.js';
import type { CliRuntime } from '../cli-runtime.js';
import { groupCommand } from './group-command.js';

interface VerifyOptions {
  checkpoint?: string;
}

/** `audit verify` exit codes: 0 valid, 1 the log is broken, 3 the checkpoint cannot be trusted. */
export const UNTRUSTWORTHY_CHECKPOINT_EXIT = 3;

function print(report: object): void {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

function readCheckpoint(file: string): SignedAuditCheckpoint {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw fileError(file, error);
  }
  const checkpoint = parseAuditCheckpoint(text);
  if (!checkpoint) throw new CliError(`${file} is not an OrderOps audit checkpoint`);
  return checkpoint;
}

function untrustworthy(file: string, kid: string, signature: CheckpointSignature): string {
  const why =
    signature === 'unknown_key'
      ? `it names signing key ${kid}, which this database does not hold, so its signature cannot be checked`
      : `its signature does not verify with signing key ${kid} (forged, or altered after signing)`;
  return `untrustworthy checkpoint ${file}: ${why}; the log was not compared with it`;
}

async function verify(runtime: CliRuntime, options: VerifyOptions): Promise<void> {
  const file = options.checkpoint;
  // The file is read before the database is opened: a wrong path costs no boot.
  const checkpoint = file === undefined ? undefined : readCheckpoint(file);
  const audit = await runtime.get(AuditLog);
  if (file === undefined || checkpoint === undefined) {
    const result = await audit.verify();
    print(toAuditVerificationResponse(result));
    if (!result.valid) process.exitCode = 1;
    return;
  }
  const keys = await runtime.get(SigningKeysService);
  const signature = await verifyAuditCheckpoint(checkpoint, (kid) => keys.storedPublicKey(kid));
  const trusted = signature === 'valid';
  // A checkpoint whose signature does not hold proves nothing, so the log is checked on
  // its own: a mismatch against a forged head would be a false alarm about the log.
  const result = await audit.verify(trusted ? checkpointHead(checkpoint) : undefined);
  print({
    ...toAuditVerificationResponse(result),
    valid: result.valid && trusted,
    checkpoint: { ...describe(checkpoint), signature },
  });
  const { kid } = checkpoint;
  if (!result.valid) {
    // The broken log is the louder alarm; the checkpoint is still named.
    if (!trusted) process.stderr.write(`orderops: ${untrustworthy(file, kid, signature)}\n`);
    process.exitCode = 1;
    return;
  }
  if (!trusted) throw new CliError(untrustworthy(file, kid, signature), UNTRUSTWORTHY_CHECKPOINT_EXIT);
}

/** The checkpoint's readable members, without the JWS. */
function describe(checkpoint: SignedAuditCheckpoint): Record<string, unknown> {
  const { at, kid } = checkpoint;
  return isTreeHead(checkpoint)
    ? { treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash, at, kid }
    : { seq: Number(checkpoint.seq), hash: checkpoint.hash, at, kid };
}

async function printCheckpoint(runtime: CliRuntime): Promise<void> {
  const audit = await runtime.get(AuditLog);
  const keys = await runtime.get(SigningKeysService);
  const head = await audit.currentHead();
  const signed = signTreeHead(
    { treeSize: head.treeSize, rootHash: head.rootHash, at: (head.at ?? new Date()).toISOString() },
    keys.currentSigner(),
  );
  process.stdout.write(`${JSON.stringify(signed)}\n`);
}

export function auditCommand(program: Command, runtime: CliRuntime): void {
  const audit = groupCommand(program, 'audit', 'Verify the audit trail and take signed checkpoints of it');
  audit
    .command('verify')
    .description(
      'Verify the whole audit log (exit 0 valid, 1 broken); with --checkpoint, also that the log ' +
        'still contains a signed tree head kept earlier (exit 3 when the checkpoint itself cannot be trusted)',
    )
    .option('--checkpoint <file>', 'a checkpoint printed by `orderops audit checkpoint`')
    .action((options: VerifyOptions) => verify(runtime, options));
  audit
    .command('checkpoint')
    .description(
      'Print the signed tree head {treeSize, rootHash, at, kid, jws}, as GET /audit/tree-head gives it ' +
        '(keep it outside the database)',
    )
    .action(() => printCheckpoint(runtime));
}
