const NOT_PERSONAL = Symbol('orderops:not-personal-data');

/**
 * On a response-DTO property whose name looks like personal data but is not (a partner
 * system's `name`): the masking backstop, which masks `name`, `email`, `phone` and
 * `address` on any object, leaves it alone. Reviewed like a scope: it is a way out.
 */
export function NotPersonalData(): PropertyDecorator {
  return (target, property) => {
    const own = new Set((Reflect.getMetadata(NOT_PERSONAL, target) as ReadonlySet<string> | undefined) ?? []);
    own.add(String(property));
    Reflect.defineMetadata(NOT_PERSONAL, own, target);
  };
}

/** The properties an instance's class declared @NotPersonalData (none for plain objects). */
export function notPersonalFieldsOf(instance: object): ReadonlySet<string> | undefined {
  const prototype = Object.getPrototypeOf(instance) as object | null;
  if (prototype === null || prototype === Object.prototype) return undefined;
  return Reflect.getMetadata(NOT_PERSONAL, prototype) as ReadonlySet<string> | undefined;
}
