import type {
  EntitySubscriberInterface,
  TransactionCommitEvent,
  TransactionRollbackEvent,
  TransactionStartEvent,
} from 'typeorm';
import type { AuditService } from './audit.service.js';

/**
 * Writes each transaction's recorded audit events at the last moment: just before it
 * commits (so the chain head's lock is held for the append and COMMIT only), before a
 * savepoint starts (so events recorded outside it do not depend on it), and drops them when
 * it rolls back. Registered on the DataSource by the audit module.
 */
export class AuditCommitSubscriber implements EntitySubscriberInterface {
  constructor(private readonly audit: AuditService) {}

  beforeTransactionStart(event: TransactionStartEvent): Promise<void> {
    return this.audit.appendPending(event.queryRunner);
  }

  beforeTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    return this.audit.appendPending(event.queryRunner);
  }

  beforeTransactionRollback(event: TransactionRollbackEvent): void {
    this.audit.discardPending(event.queryRunner);
  }
}
