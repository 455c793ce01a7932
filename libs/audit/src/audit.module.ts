import { Module, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditCommitSubscriber } from './audit-commit.subscriber.js';
import { AuditLog } from './audit-log.service.js';
import { AuditSequencer } from './audit-sequencer.js';
import { AuditController } from './audit.controller.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';

/** The audit trail's services, for every lib that records events and for the CLI. */
@Module({
  providers: [AuditRepository, AuditService, AuditSequencer, AuditLog],
  exports: [AuditService, AuditSequencer, AuditLog],
})
export class AuditCoreModule implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** Recorded events are written at commit: see AuditCommitSubscriber. */
  onModuleInit(): void {
    if (!this.dataSource.subscribers.some((s) => s instanceof AuditCommitSubscriber)) {
      this.dataSource.subscribers.push(new AuditCommitSubscriber(this.audit));
    }
  }
}

/**
 * The services plus the HTTP routes (GET /audit/events, /audit/verify, /audit/tree-head,
 * /audit/events/:seq/proof, /audit/consistency), and the sequencer polling in the background:
 * every API replica runs one, the database lets one at a time work.
 */
@Module({ imports: [AuditCoreModule], controllers: [AuditController], exports: [AuditCoreModule] })
export class AuditModule implements OnApplicationBootstrap {
  constructor(private readonly sequencer: AuditSequencer) {}

  onApplicationBootstrap(): void {
    this.sequencer.start();
  }
}
