import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'orderops:public';

/**
 * Marks a route (or controller) as callable without a token. Declared in core so that
 * core's own routes (health) can use it; the auth module's global guard is what honours it.
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);
