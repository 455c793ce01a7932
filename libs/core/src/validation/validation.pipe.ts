import { ValidationPipe, type ValidationError } from '@nestjs/common';
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

/**
 * The one global pipe: unknown properties are refused (not silently dropped), payloads are
 * turned into DTO instances, and nothing is converted implicitly ("12" stays a string).
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    stopAtFirstError: false,
    exceptionFactory: (errors) => new ValidationFailedError(toFieldProblems(errors)),
  });
}
