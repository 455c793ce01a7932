import { Module } from '@nestjs/common';
import { AuditCoreModule } from '@orderops/audit';
import { PiiModule } from '@orderops/pii';
import { OrdersController } from './orders/orders.controller.js';
import { OrdersService } from './orders/orders.service.js';

@Module({
  imports: [AuditCoreModule, PiiModule],
  controllers: [OrdersController],
  providers: [OrdersService],
  exports: [OrdersService],
})
export class OrdersModule {}
