import { Module } from '@nestjs/common';
import { AuditCoreModule } from '@orderops/audit';
import { PiiCoreModule, PiiModule } from '@orderops/pii';
import { IdempotencyRepository } from './idempotency/idempotency.repository.js';
import { CsvBodyParser } from './imports/csv-body.parser.js';
import { ImportSlots } from './imports/import-slots.js';
import { ImportsController } from './imports/imports.controller.js';
import { ImportsRepository } from './imports/imports.repository.js';
import { ImportsService } from './imports/imports.service.js';
import { OrderPlacementService } from './orders/order-placement.service.js';
import { OrdersController } from './orders/orders.controller.js';
import { OrdersRepository } from './orders/orders.repository.js';
import { OrdersService } from './orders/orders.service.js';

@Module({
  imports: [PiiModule, AuditCoreModule],
  controllers: [OrdersController, ImportsController],
  providers: [
    OrdersService,
    ImportsService,
    OrderPlacementService,
    OrdersRepository,
    ImportsRepository,
    IdempotencyRepository,
    ImportSlots,
    CsvBodyParser,
  ],
  exports: [OrdersService, ImportsService],
})
export class OrdersModule {}

/** Order imports without HTTP, for the command line. */
@Module({
  imports: [PiiCoreModule, AuditCoreModule],
  providers: [ImportsService, OrderPlacementService, OrdersRepository, ImportsRepository],
  exports: [ImportsService],
})
export class OrdersImportModule {}
