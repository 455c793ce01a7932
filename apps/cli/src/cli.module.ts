import { Module } from '@nestjs/common';
import { AuditCheckpointCommand, AuditCommand, AuditVerifyCommand } from './commands/audit.command.js';
import { ClientsCommand, ClientsCreateCommand } from './commands/clients.command.js';
import { ImportCommand } from './commands/import.command.js';
import { KeysCommand, KeysListCommand, KeysRotateCommand } from './commands/keys.command.js';
import { MigrateCommand } from './commands/migrate.command.js';
import { OperatorsCommand, OperatorsCreateCommand } from './commands/operators.command.js';
import { PiiCommand, PiiRewrapCommand } from './commands/pii.command.js';
import { CliProgram } from './cli-program.js';
import { CliRuntime } from './cli-runtime.js';

export { CLI_SCHEMAS } from './cli-services.module.js';

/**
 * The command line itself: every command, and the runtime that opens the configuration and
 * the database only when one of them runs. Nothing here touches a file or the database.
 */
@Module({
  providers: [
    CliProgram,
    CliRuntime,
    MigrateCommand,
    OperatorsCommand,
    OperatorsCreateCommand,
    ClientsCommand,
    ClientsCreateCommand,
    KeysCommand,
    KeysRotateCommand,
    KeysListCommand,
    PiiCommand,
    PiiRewrapCommand,
    AuditCommand,
    AuditVerifyCommand,
    AuditCheckpointCommand,
    ImportCommand,
  ],
})
export class CliModule {}
