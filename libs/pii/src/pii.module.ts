import { Module } from '@nestjs/common';
import { AuditCoreModule } from '@orderops/audit';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { CustomerExportRegistry } from './customers/customer-export.registry.js';
import { CustomersController } from './customers/customers.controller.js';
import { CustomersRepository } from './customers/customers.repository.js';
import { CustomersService } from './customers/customers.service.js';
import { PiiMaskingInterceptor } from './masking/pii-masking.interceptor.js';
import { MasterKeyCheck } from './vault/master-key-check.js';

/** Customers (the data subjects), their encrypted personal data, masking and erasure. */
@Module({
  imports: [AuditCoreModule],
  controllers: [CustomersController],
  providers: [
    CustomersService,
    CustomersRepository,
    CustomerExportRegistry,
    MasterKeyCheck,
    { provide: APP_INTERCEPTOR, useClass: PiiMaskingInterceptor },
  ],
  exports: [CustomersService, CustomerExportRegistry],
})
export class PiiModule {}

/** The vault without HTTP, for the command line. */
@Module({
  imports: [AuditCoreModule],
  providers: [CustomersService, CustomersRepository, CustomerExportRegistry, MasterKeyCheck],
  exports: [CustomersService],
})
export class PiiCoreModule {}
