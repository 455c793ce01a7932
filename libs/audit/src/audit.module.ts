import { Module, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditCommitSubscriber } from './audit-commit.subscriber.js';
import { AuditController } from './audit.controller.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';

/** The audit trail's services, for every lib that records events and for the CLI. */
@Module({ providers: [AuditRepository, AuditService], exports: [AuditService] })
export class AuditCoreModule implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** Recorded events are appended at commit: see AuditCommitSubscriber. */
  onModuleInit(): void {
    if (!this.dataSource.subscribers.some((s) => s instanceof AuditCommitSubscriber)) {
      this.dataSource.subscribers.push(new AuditCommitSubscriber(this.audit));
    }
  }
}

/** The services plus the HTTP routes (GET /audit/events, GET /audit/verify). */
@Module({ imports: [AuditCoreModule], controllers: [AuditController], exports: [AuditCoreModule] })
export class AuditModule {}
