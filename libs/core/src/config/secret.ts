import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A value that must never reach a log line, an error message or a serialized object.
 * Every accidental path (string coercion, JSON, util.inspect) prints a placeholder;
 * only an explicit `reveal()` hands out the value.
 */
export class Secret<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  reveal(): T {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
