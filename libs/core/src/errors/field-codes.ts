import { getMetadataStorage, ValidationTypes } from 'class-validator';

/**
 * The closed set of `errors[].code` values a problem document or an import report can carry.
 * Clients branch on these; the message beside them is for people and may be reworded. A
 * new code is an API change: add it here with its meaning (docs/problems.md lists them).
 */
export const FieldCode = {
  Required: 'required',
  NullNotAllowed: 'null_not_allowed',
  NotAllowed: 'not_allowed',
  NotAString: 'not_a_string',
  NotAnInteger: 'not_an_integer',
  NotABoolean: 'not_a_boolean',
  NotAnArray: 'not_an_array',
  NotAnObject: 'not_an_object',
  NotADate: 'not_a_date',
  TooShort: 'too_short',
  TooLong: 'too_long',
  TooFewItems: 'too_few_items',
  TooManyItems: 'too_many_items',
  DuplicateItems: 'duplicate_items',
  OutOfRange: 'out_of_range',
  InvalidEnum: 'invalid_enum',
  InvalidFormat: 'invalid_format',
  InvalidAmount: 'invalid_amount',
  TooManyDecimals: 'too_many_decimals',
  AlreadyUsed: 'already_used',
  NotFound: 'not_found',
  MutuallyExclusive: 'mutually_exclusive',
  ExactlyOne: 'exactly_one',
  WeakPassword: 'weak_password',
  Incorrect: 'incorrect',
  ColumnCount: 'column_count',
  NotAdjacent: 'not_adjacent',
  ConflictingValue: 'conflicting_value',
  OrderRejected: 'order_rejected',
  Invalid: 'invalid',
} as const;
export type FieldCode = (typeof FieldCode)[keyof typeof FieldCode];

/** What each code means, for docs/problems.md and the Problem schema. */
export const FIELD_CODE_MEANINGS: Readonly<Record<FieldCode, string>> = {
  required: 'the field is missing',
  null_not_allowed: 'the field is `null`; leave an optional field out instead',
  not_allowed: 'the field is not accepted here (unknown, or not for this caller)',
  not_a_string: 'the value is not a string',
  not_an_integer: 'the value is not a whole number',
  not_a_boolean: 'the value is not `true` or `false`',
  not_an_array: 'the value is not an array',
  not_an_object: 'the value is not an object',
  not_a_date: 'the value is not an ISO 8601 date-time',
  too_short: 'the string is shorter than allowed (an empty string included)',
  too_long: 'the string is longer than allowed',
  too_few_items: 'the array has fewer items than allowed',
  too_many_items: 'the array (or an order_ref of an import) has more items than allowed',
  duplicate_items: 'the array lists a value twice',
  out_of_range: 'the number is below the minimum or above the maximum',
  invalid_enum: 'the value is not one of the listed values',
  invalid_format: 'the string does not have the required form (pattern, email address, cursor)',
  invalid_amount: 'the amount is not a decimal string > 0 and <= 1000000 with at most 3 decimals',
  too_many_decimals: "the amount has more decimals than the order's currency allows",
  already_used: 'the value must be unique and is already taken',
  not_found: 'the value names something that does not exist (or that the caller cannot reach)',
  mutually_exclusive: 'the field cannot be given together with another one',
  exactly_one: 'exactly one of several fields must be given',
  weak_password: 'the password does not meet the password policy',
  incorrect: 'the value is not the right one (a current password)',
  column_count: 'the import row does not have as many cells as the header',
  not_adjacent: 'the rows of one order_ref are not next to each other in the file',
  conflicting_value: 'the value differs from the first row of the same order_ref',
  order_rejected: 'another row of the same order_ref is invalid, so the whole order is',
  invalid: 'the value breaks a rule without a more specific code',
};

const TYPE_CODES = new Set<FieldCode>([
  FieldCode.NotAString,
  FieldCode.NotAnInteger,
  FieldCode.NotABoolean,
  FieldCode.NotAnArray,
  FieldCode.NotAnObject,
  FieldCode.NotADate,
]);

/** Codes that say the value has the wrong type (its other rules then say nothing more). */
export function isTypeCode(code: FieldCode): boolean {
  return TYPE_CODES.has(code);
}

/** The house rule beside class-validator's: an optional field is absent, never `null`. */
export const NOT_NULL_RULE = 'isNotNull';

/**
 * The one mapping from validator rule names (the keys of class-validator's `constraints`, our
 * own decorators' names and the pipe's not-null rule) to stable codes. `isLength` is missing
 * on purpose: it cannot tell too short from too long, so DTOs declare MinLength/MaxLength.
 */
export const VALIDATOR_RULE_CODES: Readonly<Record<string, FieldCode>> = {
  [ValidationTypes.IS_DEFINED]: FieldCode.Required,
  [NOT_NULL_RULE]: FieldCode.NullNotAllowed,
  [ValidationTypes.WHITELIST]: FieldCode.NotAllowed,
  unknownValue: FieldCode.NotAnObject,
  [ValidationTypes.NESTED_VALIDATION]: FieldCode.NotAnObject,
  isString: FieldCode.NotAString,
  isInt: FieldCode.NotAnInteger,
  isBoolean: FieldCode.NotABoolean,
  isArray: FieldCode.NotAnArray,
  isDate: FieldCode.NotADate,
  isIso8601: FieldCode.NotADate,
  minLength: FieldCode.TooShort,
  maxLength: FieldCode.TooLong,
  arrayMinSize: FieldCode.TooFewItems,
  arrayMaxSize: FieldCode.TooManyItems,
  arrayUnique: FieldCode.DuplicateItems,
  min: FieldCode.OutOfRange,
  max: FieldCode.OutOfRange,
  isIn: FieldCode.InvalidEnum,
  matches: FieldCode.InvalidFormat,
  isEmail: FieldCode.InvalidFormat,
  isPositiveMoney: FieldCode.InvalidAmount,
};

/** The stable code of a validator rule; a rule without one (a test forbids it) is `invalid`. */
export function fieldCodeOfRule(rule: string): FieldCode {
  return Object.hasOwn(VALIDATOR_RULE_CODES, rule) ? VALIDATOR_RULE_CODES[rule] : FieldCode.Invalid;
}

/**
 * Rules that produce an error whatever a class declares: the global pipe's options
 * (forbidNonWhitelisted, forbidUnknownValues) and its not-null rule.
 */
const OPTION_RULES = [ValidationTypes.WHITELIST, 'unknownValue', NOT_NULL_RULE] as const;

/** Metadata kinds that never answer an error of their own. */
const SILENT_TYPES = new Set<string>([ValidationTypes.CONDITIONAL_VALIDATION, ValidationTypes.WHITELIST]);

/**
 * Every rule name class-validator can report for the given classes (the error keys), with
 * the pipe's own rules. Used by the test that fails when a DTO declares a rule without a code.
 */
export function validatorRulesOf(classes: Iterable<abstract new (...args: never[]) => unknown>): string[] {
  const storage = getMetadataStorage();
  const rules = new Set<string>(OPTION_RULES);
  for (const target of classes) {
    for (const metadata of storage.getTargetValidationMetadatas(target, '', true, false)) {
      if (SILENT_TYPES.has(metadata.type)) continue;
      if (metadata.type !== ValidationTypes.CUSTOM_VALIDATION) {
        rules.add(metadata.type);
        continue;
      }
      for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls))
        rules.add(constraint.name);
    }
  }
  return [...rules].sort();
}

/** Every class that declares class-validator rules in this process (all loaded DTOs). */
export function classesWithValidatorRules(): (abstract new (...args: never[]) => unknown)[] {
  // class-validator keeps this map private; without it the list would be silently empty,
  // so its absence is an error, not an empty answer.
  const metadatas = (getMetadataStorage() as unknown as { validationMetadatas?: Map<unknown, unknown> })
    .validationMetadatas;
  if (!(metadatas instanceof Map)) throw new Error('class-validator metadata storage has changed shape');
  return [...metadatas.keys()].filter(
    (key): key is abstract new (...args: never[]) => unknown => typeof key === 'function',
  );
}

/** Rules among `rules` without a stable code. */
export function unmappedRules(rules: readonly string[]): string[] {
  return rules.filter((rule) => !Object.hasOwn(VALIDATOR_RULE_CODES, rule));
}
