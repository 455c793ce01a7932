import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { nullOptionalFields } from './null-fields.js';
import type { ClassTransformOptions } from 'class-transformer';
import type { ValidatorOptions } from 'class-validator';
import type { FieldProblem } from '../errors/app-error.js';
import { ValidationFailedError } from '../errors/core.errors.js';
import { fieldCodeOfRule, isTypeCode, NOT_NULL_RULE } from '../errors/field-codes.js';

/**
 * class-validator errors as `errors[]` entries: dotted field path, the rule's stable code
 * (never the validator's rule name, which is an implementation detail), fixed message.
 */
export function toFieldProblems(errors: readonly ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const all = Object.entries(error.constraints ?? {}).map(([rule, message]) => ({
      field,
      code: fieldCodeOfRule(rule),
      message,
    }));
    // A value of the wrong type breaks every rule about its content too ("5" is neither
    // too short nor too long): its type is the one problem worth reporting.
    const typed = all.filter((problem) => isTypeCode(problem.code));
    const own = typed.length > 0 ? typed : all;
    return [...own, ...toFieldProblems(error.children ?? [], field)];
  });
}

/** The global pipe's validator settings; code validating DTOs outside a request (imports) uses the same. */
export const VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
  stopAtFirstError: false,
};

/** Nothing is converted implicitly ("12" stays a string). */
export const TRANSFORM_OPTIONS: ClassTransformOptions = { enableImplicitConversion: false };

/** class-validator's rules, plus the house rule that an optional field is absent, never `null`. */
class RequestValidationPipe extends ValidationPipe {
  protected override async validate(object: object, options?: ValidatorOptions): Promise<ValidationError[]> {
    const errors = await super.validate(object, options);
    const nulls = nullOptionalFields(object).map((field): ValidationError => ({
      property: field,
      constraints: { [NOT_NULL_RULE]: `${field} must not be null` },
      children: [],
    }));
    return nulls.length === 0 ? errors : [...errors, ...nulls];
  }
}

/**
 * The one global pipe: unknown properties are refused (not silently dropped), payloads are
 * turned into DTO instances, nothing is converted implicitly ("12" stays a string), and
 * `null` in an optional field is refused (400 `null_not_allowed`) instead of skipping its rules.
 */
export function createValidationPipe(): ValidationPipe {
  return new RequestValidationPipe({
    ...VALIDATOR_OPTIONS,
    transform: true,
    transformOptions: TRANSFORM_OPTIONS,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedError(toFieldProblems(errors)),
  });
}
