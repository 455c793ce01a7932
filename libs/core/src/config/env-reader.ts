import { readFileSync } from 'node:fs';
import type { ConfigProblem } from './config.errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads settings from an environment and collects problems instead of throwing, so one
 * boot reports every bad setting. Problems name the setting and the rule, never the value.
 */
export class EnvReader {
  readonly problems: ConfigProblem[] = [];

  constructor(private readonly env: Env) {}

  fail(setting: string, problem: string): void {
    this.problems.push({ setting, problem });
  }

  /** A plain setting; empty strings count as unset. */
  string(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  /**
   * A setting that may also come from a file named by `NAME_FILE` (Kubernetes and compose
   * secrets). Setting both is ambiguous and refused. One trailing newline is dropped.
   */
  fileOrString(name: string): string | undefined {
    const direct = this.string(name);
    const path = this.string(`${name}_FILE`);
    if (direct !== undefined && path !== undefined) {
      this.fail(name, `set both ${name} and ${name}_FILE; set only one`);
      return undefined;
    }
    if (path === undefined) return direct;
    try {
      const content = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
      return content.trim() === '' ? undefined : content;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      this.fail(`${name}_FILE`, `cannot read the file it names (${code})`);
      return undefined;
    }
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (!/^[0-9]+$/.test(raw)) {
      this.fail(name, `must be a whole number between ${min} and ${max}`);
      return fallback;
    }
    const value = Number(raw);
    if (value < min || value > max) {
      this.fail(name, `must be between ${min} and ${max}`);
      return fallback;
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.string(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    this.fail(name, 'must be true or false');
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.fail(name, `must be one of ${allowed.join(', ')}`);
    return fallback;
  }
}
