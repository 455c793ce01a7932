import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';

/** The audit trail's services, for every lib that records events and for the CLI. */
@Module({ providers: [AuditRepository, AuditService], exports: [AuditService] })
export class AuditCoreModule {}

/** The services plus the HTTP routes (GET /audit/events, GET /audit/verify). */
@Module({ imports: [AuditCoreModule], controllers: [AuditController], exports: [AuditCoreModule] })
export class AuditModule {}
