import { trace, type Tracer } from '@opentelemetry/api';

let tracer: Tracer | undefined;

/**
 * The tracer every OrderOps span comes from: the SDK's own, once startTracing has set it up
 * (asking the API for it at every span costs a lookup through its proxy provider). Before
 * that, and after stopTracing, the API's answer (a no-op tracer while no SDK runs).
 */
export function orderOpsTracer(): Tracer {
  return tracer ?? trace.getTracer('orderops');
}

/** Called by startTracing once the SDK is registered, and by stopTracing with undefined. */
export function keepOrderOpsTracer(kept: Tracer | undefined): void {
  tracer = kept;
}
