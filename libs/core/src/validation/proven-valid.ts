import {
  getMetadataStorage,
  ValidationTypes,
  type ValidationArguments,
  type ValidatorOptions,
} from 'class-validator';

/**
 * A fast "is this DTO valid?" for bulk paths (file imports) that validate one DTO per row.
 *
 * It runs the very constraints declared with class-validator decorators, read from
 * class-validator's own metadata, but skips the executor's per-call metadata lookup and
 * error objects, which cost most of `validateSync`'s time. It answers one way only: `true`
 * means `validateSync` would find no error; `false` means "not proven" and the caller runs
 * `validateSync` for the authoritative errors and messages. Anything this checker does not
 * model (groups, async or promise validation, schema targets, options that change what is
 * validated) makes every answer `false`, so it can never accept what class-validator refuses.
 */
export type ProvenValid = (object: unknown) => boolean;

/** class-validator keeps its metadata class out of its public types; this is its shape. */
type ValidationMetadata = ReturnType<
  ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']
>[number];

interface ConstraintCheck {
  readonly metadata: ValidationMetadata;
  readonly validate: (value: unknown, args: ValidationArguments) => unknown;
}

interface PropertyPlan {
  readonly name: string;
  /** `@IsOptional` and `@ValidateIf`: all true, or the property is not validated. */
  readonly conditions: readonly ((object: object, value: unknown) => boolean)[];
  readonly constraints: readonly ConstraintCheck[];
  readonly nested: boolean;
}

interface ClassPlan {
  readonly allowed: ReadonlySet<string>;
  readonly properties: readonly PropertyPlan[];
}

/** Options this checker reproduces exactly; any other setting means "not proven". */
function supportedOptions(options: ValidatorOptions): boolean {
  const understood = new Set([
    'whitelist',
    'forbidNonWhitelisted',
    'forbidUnknownValues',
    'validationError',
    'stopAtFirstError',
  ]);
  return (
    Object.keys(options).every((key) => understood.has(key)) &&
    options.whitelist === true &&
    options.forbidNonWhitelisted === true &&
    options.forbidUnknownValues !== false
  );
}

const KNOWN_TYPES = new Set<string>([
  ValidationTypes.CUSTOM_VALIDATION,
  ValidationTypes.IS_DEFINED,
  ValidationTypes.NESTED_VALIDATION,
  ValidationTypes.CONDITIONAL_VALIDATION,
  ValidationTypes.WHITELIST,
]);

function isPromiseLike(value: unknown): boolean {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** The class's plan, or null when its metadata uses something this checker does not model. */
function buildPlan(target: new () => object): ClassPlan | null {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(target, '', false, false, undefined);
  if (metadatas.length === 0) return null; // forbidUnknownValues: an error
  if (metadatas.some((m) => typeof m.target === 'string' || !KNOWN_TYPES.has(m.type))) return null;
  const grouped = storage.groupByPropertyName(metadatas);
  const properties: PropertyPlan[] = [];
  for (const [name, own] of Object.entries(grouped)) {
    const constraints: ConstraintCheck[] = [];
    for (const metadata of own) {
      if (metadata.type !== ValidationTypes.CUSTOM_VALIDATION && metadata.type !== ValidationTypes.IS_DEFINED)
        continue;
      for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls)) {
        if (constraint.async) return null;
        const instance = constraint.instance as { validate: ConstraintCheck['validate'] };
        constraints.push({ metadata, validate: instance.validate.bind(instance) });
      }
    }
    properties.push({
      name,
      conditions: own
        .filter((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION)
        .map((m) => m.constraints[0] as PropertyPlan['conditions'][number]),
      constraints,
      nested: own.some((m) => m.type === ValidationTypes.NESTED_VALIDATION),
    });
  }
  return { allowed: new Set(Object.keys(grouped)), properties };
}

const isCollection = (value: unknown): value is unknown[] | Set<unknown> | Map<unknown, unknown> =>
  Array.isArray(value) || value instanceof Set || value instanceof Map;

/** Builds the checker for one set of validator options (the global pipe's, in practice). */
export function provenValidFor(options: ValidatorOptions): ProvenValid {
  if (!supportedOptions(options)) return () => false;
  const plans = new Map<unknown, ClassPlan | null>();
  const planOf = (target: unknown): ClassPlan | null => {
    let plan = plans.get(target);
    if (plan === undefined) {
      plan = typeof target === 'function' ? buildPlan(target as new () => object) : null;
      plans.set(target, plan);
    }
    return plan;
  };

  // Written as plain loops: this runs for every row of a file, and closures or spread
  // arrays per constraint would be most of what it allocates.
  const resultHolds = (result: unknown): boolean => !isPromiseLike(result) && Boolean(result);

  const constraintHolds = (object: object, value: unknown, check: ConstraintCheck): boolean => {
    const { metadata } = check;
    if (metadata.validateIf && !metadata.validateIf(object, value)) return true;
    const args: ValidationArguments = {
      targetName: object.constructor.name,
      property: metadata.propertyName,
      object,
      value,
      constraints: metadata.constraints,
    };
    if (!(metadata.each && isCollection(value))) return resultHolds(check.validate(value, args));
    for (const item of value.values()) if (!resultHolds(check.validate(item, args))) return false;
    return true;
  };

  // Mirrors class-validator's nested rule: undefined passes, collections are walked element
  // by element, objects are validated as their own class, anything else is an error.
  const nestedHolds = (value: unknown): boolean => {
    if (value === undefined) return true;
    if (isCollection(value)) {
      for (const item of value.values()) if (!nestedHolds(item)) return false;
      return true;
    }
    return value instanceof Object && objectHolds(value);
  };

  const conditionsHold = (property: PropertyPlan, object: object, value: unknown): boolean => {
    for (const condition of property.conditions) if (!condition(object, value)) return false;
    return true;
  };

  const objectHolds = (object: object): boolean => {
    const plan = planOf(object.constructor);
    if (plan === null) return false;
    // for-in also sees inherited enumerable keys, which whitelisting ignores: refusing
    // them only sends such an object to validateSync.
    for (const key in object) if (!plan.allowed.has(key)) return false;
    for (const property of plan.properties) {
      const value = (object as Record<string, unknown>)[property.name];
      if (!conditionsHold(property, object, value)) continue;
      for (const check of property.constraints) if (!constraintHolds(object, value, check)) return false;
      if (property.nested && !nestedHolds(value)) return false;
    }
    return true;
  };

  return (object) => typeof object === 'object' && object !== null && objectHolds(object);
}
