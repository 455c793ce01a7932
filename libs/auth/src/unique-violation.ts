/**
 * The unique constraint (or index) an insert broke, from the driver's error; undefined for
 * any other error. Only repositories look at driver errors: they turn this into the lib's
 * own error, so services never see SQLSTATEs.
 */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  const driverError = (error as { driverError?: { code?: unknown; constraint?: unknown } } | null)
    ?.driverError;
  if (driverError?.code !== '23505') return undefined;
  return typeof driverError.constraint === 'string' ? driverError.constraint : '';
}
