import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { OWNERSHIP_KEY, Ownership, reachOf, type Reach } from './ownership.js';
import type { Principal } from './principal.js';

/**
 * The caller's reach over owned objects. Only a route declaring `@OwnershipRule(Owned)`
 * may ask for it, so every route that touches owned objects shows its rule in review.
 */
export const CurrentReach = createParamDecorator((_data: unknown, context: ExecutionContext): Reach => {
  const rule = Reflect.getMetadata(OWNERSHIP_KEY, context.getHandler()) as Ownership | undefined;
  if (rule !== Ownership.Owned) throw new Error('CurrentReach used on a route without @OwnershipRule(Owned)');
  const request = context.switchToHttp().getRequest<{ user?: Principal }>();
  if (!request.user) throw new Error('CurrentReach used on a route without a principal');
  return reachOf(request.user);
});
