import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  IsDefined,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  registerDecorator,
  ValidateIf,
  ValidateNested,
  validateSync,
} from 'class-validator';
import { describe, expect, it } from 'vitest';
import { provenValidFor } from './proven-valid.js';
import { TRANSFORM_OPTIONS, VALIDATOR_OPTIONS } from './validation.pipe.js';

function IsEvenLength(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isEvenLength',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: { validate: (value: unknown) => typeof value === 'string' && value.length % 2 === 0 },
    });
}

class Leaf {
  @IsInt()
  @Min(1)
  @Max(9)
  n!: number;

  @IsOptional()
  @IsString({ each: true })
  @ArrayMaxSize(3)
  tags?: string[];
}

class Root {
  @IsString()
  @Length(2, 6)
  @IsEvenLength()
  code!: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => Leaf)
  leaf?: Leaf;

  @ValidateNested({ each: true })
  @Type(() => Leaf)
  leaves!: Leaf[];

  @ValidateIf((root: Root) => root.code === 'ABCD')
  @IsDefined()
  @IsString()
  extra?: string;

  @Allow()
  free?: unknown;
}

const BASE = { code: 'AB', leaves: [{ n: 1 }] };

/** Each variant differs from a valid root in one place; many break a rule, some do not. */
const VARIANTS: unknown[] = [
  BASE,
  { ...BASE, code: 'ABCD' },
  { ...BASE, code: 'ABCD', extra: 'x' },
  { ...BASE, code: 'ABCD', extra: 1 },
  { ...BASE, code: 'ABC' },
  { ...BASE, code: 'A' },
  { ...BASE, code: 'ABCDEFGH' },
  { ...BASE, code: 12 },
  { ...BASE, code: undefined },
  { ...BASE, code: null },
  { ...BASE, leaf: { n: 5 } },
  { ...BASE, leaf: { n: 0 } },
  { ...BASE, leaf: { n: 10 } },
  { ...BASE, leaf: { n: 2.5 } },
  { ...BASE, leaf: { n: '5' } },
  { ...BASE, leaf: { n: 5, tags: ['a', 'b'] } },
  { ...BASE, leaf: { n: 5, tags: ['a', 2] } },
  { ...BASE, leaf: { n: 5, tags: ['a', 'b', 'c', 'd'] } },
  { ...BASE, leaf: { n: 5, surprise: true } },
  { ...BASE, leaf: null },
  { ...BASE, leaf: 'leaf' },
  { ...BASE, leaf: [{ n: 1 }] },
  { ...BASE, leaves: [] },
  { ...BASE, leaves: [{ n: 1 }, { n: 9 }] },
  { ...BASE, leaves: [{ n: 1 }, { n: 99 }] },
  { ...BASE, leaves: [{ n: 1 }, 'x'] },
  { ...BASE, leaves: [{ n: 1 }, null] },
  { ...BASE, leaves: [[{ n: 1 }]] },
  { ...BASE, leaves: { n: 1 } },
  { ...BASE, leaves: undefined },
  { ...BASE, leaves: 'many' },
  { ...BASE, free: { anything: 1 } },
  { ...BASE, unknown: 1 },
];

describe('provenValidFor', () => {
  const provenValid = provenValidFor(VALIDATOR_OPTIONS);
  const viaTransformer = (plain: unknown): Root => plainToInstance(Root, plain as object, TRANSFORM_OPTIONS);

  it('says valid exactly when validateSync finds no error, variant by variant', () => {
    const verdicts = VARIANTS.map((plain) => {
      const root = viaTransformer(plain);
      return { plain, proven: provenValid(root), valid: validateSync(root, VALIDATOR_OPTIONS).length === 0 };
    });
    expect(verdicts.filter((v) => v.proven !== v.valid)).toEqual([]);
    // Both answers occur, so neither "always true" nor "always false" passes.
    expect(verdicts.filter((v) => v.valid).length).toBeGreaterThanOrEqual(8);
    expect(verdicts.filter((v) => !v.valid).length).toBeGreaterThanOrEqual(15);
  });

  it('refuses what has no validation metadata, as forbidUnknownValues does', () => {
    expect(provenValid({ code: 'AB', leaves: [] })).toBe(false);
    expect(provenValid(Object.create(null))).toBe(false);
    expect(provenValid(null)).toBe(false);
    expect(provenValid('AB')).toBe(false);
  });

  it('proves nothing under options it does not reproduce', () => {
    const root = viaTransformer(BASE);
    expect(provenValid(root)).toBe(true);
    expect(provenValidFor({ ...VALIDATOR_OPTIONS, skipMissingProperties: true })(root)).toBe(false);
    expect(provenValidFor({ ...VALIDATOR_OPTIONS, groups: ['x'] })(root)).toBe(false);
    expect(provenValidFor({ ...VALIDATOR_OPTIONS, forbidNonWhitelisted: false })(root)).toBe(false);
  });

  it('proves nothing for a class with an async rule', () => {
    class Remote {
      @IsString()
      name!: string;
    }
    registerDecorator({
      name: 'remoteCheck',
      target: Remote,
      propertyName: 'name',
      async: true,
      validator: { validate: () => Promise.resolve(true) },
    });
    const remote = plainToInstance(Remote, { name: 'a' });
    expect(provenValid(remote)).toBe(false);
    expect(validateSync(remote, VALIDATOR_OPTIONS)).toEqual([]); // sync validation skips it
  });
});
