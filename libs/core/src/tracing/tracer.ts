import { trace, type Tracer } from '@opentelemetry/api';

/**
 * The tracer every OrderOps span comes from. Asked for at each use: before the SDK starts
 * the API hands out a no-op one, and it must not be kept past that.
 */
export function orderOpsTracer(): Tracer {
  return trace.getTracer('orderops');
}
