/** One problem with one setting. `problem` describes the rule, never the value. */
export interface ConfigProblem {
  readonly setting: string;
  readonly problem: string;
}

/**
 * Raised at boot when the environment cannot produce a valid configuration.
 * The message lists every bad setting by name so an operator can fix them all at once;
 * no value is ever part of it (values may be secrets).
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.setting}: ${p.problem}`).join('\n'),
    );
  }
}
