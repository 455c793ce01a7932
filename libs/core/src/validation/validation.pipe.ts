import { ValidationPipe, type ValidationError } from '@nestjs/common';
import type { ClassTransformOptions } from 'class-transformer';
import type { ValidatorOptions } from 'class-validator';
import type { FieldProblem } from '../errors/app-error.js';
import { ValidationFailedError } from '../errors/core.errors.js';

/** class-validator errors as `errors[]` entries: dotted field path, rule name, fixed message. */
export function toFieldProblems(errors: readonly ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([code, message]) => ({ field, code, message }));
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

/**
 * The one global pipe: unknown properties are refused (not silently dropped), payloads are
 * turned into DTO instances, and nothing is converted implicitly ("12" stays a string).
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    ...VALIDATOR_OPTIONS,
    transform: true,
    transformOptions: TRANSFORM_OPTIONS,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedError(toFieldProblems(errors)),
  });
}
