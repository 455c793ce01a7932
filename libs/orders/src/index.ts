export { ImportRejectedError, OrdersErrorCode } from './orders.errors.js';
export { OrdersImportModule, OrdersModule } from './orders.module.js';
export { ordersSchema } from './orders.schema.js';
export { type ImportReport } from './imports/import-report.js';
export { type ImportProgress } from './imports/import-run.js';
export { localFileSource } from './imports/import-source.js';
export { ImportsService } from './imports/imports.service.js';
