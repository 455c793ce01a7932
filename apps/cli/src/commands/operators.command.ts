import { type Scope } from '@orderops/access';
import { systemActor } from '@orderops/audit';
import { OperatorsService, usernameRuleViolation } from '@orderops/auth';
import type { Command } from 'commander';
import { CliError } from '../cli.errors.js';
import type { CliRuntime } from '../cli-runtime.js';
import { groupCommand } from './group-command.js';
import { readSecret } from './read-secret.js';
import { parseScopesOption } from './scopes-option.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface OperatorRow {
  readonly id: string;
  readonly username: string;
  readonly scopes: readonly string[];
  readonly disabledAt: Date | null;
}

const operatorLine = (operator: OperatorRow): string =>
  `${operator.username} (${operator.id}) ${operator.disabledAt === null ? 'enabled' : 'disabled'}, ` +
  `scopes: ${operator.scopes.join(' ') || '(none)'}`;

/** The operator an argument names: its id, as the admin API takes, or its username (any case). */
async function resolveOperator(operators: OperatorsService, name: string): Promise<string> {
  if (UUID.test(name)) return name.toLowerCase();
  const wanted = name.trim().toLowerCase();
  const found = (await operators.list()).find((operator) => operator.username === wanted);
  if (!found) throw new CliError(`no operator has the id or username '${name}'`);
  return found.id;
}

/**
 * `operators disable|enable|set-scopes`: the admin API's PATCH /admin/operators/:id through
 * the same service, so the same rules hold (the last enabled admin keeps `admin`, every token
 * of the operator is void at once, the change is audited with the cli as actor).
 */
async function change(
  runtime: CliRuntime,
  name: string,
  changes: { disabled?: boolean; scopes?: Scope[] },
): Promise<void> {
  const operators = await runtime.get(OperatorsService);
  const id = await resolveOperator(operators, name);
  const updated = await operators.update(id, changes, systemActor('cli'));
  process.stdout.write(`Updated operator ${operatorLine(updated)}; its earlier tokens no longer work\n`);
}

export function operatorsCommand(program: Command, runtime: CliRuntime): void {
  const operators = groupCommand(program, 'operators', 'Manage operators');
  operators
    .command('create')
    .argument('<username>')
    .description('Create an operator; the password is read from a prompt or standard input, never argv')
    .requiredOption('--scopes <scopes>', 'comma-separated scopes, or "all"', parseScopesOption)
    .action(async (username: string, options: { scopes: Scope[] }) => {
      // The API's rule, checked before the password prompt so a typo costs no typing.
      const violation = usernameRuleViolation(username);
      if (violation) throw new CliError(violation);
      const password = await readSecret('Password: ');
      const operator = await (
        await runtime.get(OperatorsService)
      ).create(username, password, options.scopes, systemActor('cli'));
      process.stdout.write(
        `Created operator ${operator.username} (${operator.id}) with scopes: ${operator.scopes.join(' ')}\n`,
      );
    });
  operators
    .command('list')
    .description('List operators: username, id, enabled or disabled, scopes')
    .action(async () => {
      for (const operator of await (await runtime.get(OperatorsService)).list())
        process.stdout.write(`${operatorLine(operator)}\n`);
    });
  operators
    .command('disable')
    .argument('<operator>', 'id or username')
    .description('Disable an operator: it cannot sign in and its tokens stop working (not the last admin)')
    .action((name: string) => change(runtime, name, { disabled: true }));
  operators
    .command('enable')
    .argument('<operator>', 'id or username')
    .description('Enable a disabled operator again')
    .action((name: string) => change(runtime, name, { disabled: false }));
  operators
    .command('set-scopes')
    .argument('<operator>', 'id or username')
    .description("Replace an operator's scopes; its tokens stop working (the last admin keeps admin)")
    .requiredOption('--scopes <scopes>', 'comma-separated scopes, or "all"', parseScopesOption)
    .action((name: string, options: { scopes: Scope[] }) =>
      change(runtime, name, { scopes: options.scopes }),
    );
}
