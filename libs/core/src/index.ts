export { type AppConfig, loadConfig } from './config/app-config.js';
export { ConfigError } from './config/config.errors.js';
export { InjectConfig } from './config/config.tokens.js';
export { type MasterKey, MasterKeyRing } from './config/master-keys.js';
export { CoreModule, mergeSchemas } from './core.module.js';
export { Database, type DatabaseSchema } from './database/database.js';
export { arrayLiteral } from './database/array-literal.js';
export type { NotificationHandlers } from './database/notification-listener.js';
export { EmbeddedDatabase } from './database/embedded-database.js';
export { buildOpenApiDocument, setupDocs } from './docs/openapi.js';
export {
  ApiProblems,
  documentProblems,
  PROBLEM_MEDIA_TYPE,
  problemCatalogue,
  type ProblemTypeEntry,
  renderProblemsMarkdown,
} from './docs/problems.js';
export { CoreErrorCode } from './errors/core.errors.js';
export { AppError, type FieldProblem } from './errors/app-error.js';
export {
  classesWithValidatorRules,
  FIELD_CODE_MEANINGS,
  FieldCode,
  fieldCodeOfRule,
  unmappedRules,
  VALIDATOR_RULE_CODES,
  validatorRulesOf,
} from './errors/field-codes.js';
export { RETRY_AFTER_SECONDS, ServiceUnavailableError, ValidationFailedError } from './errors/core.errors.js';
export { isInfrastructureFailure } from './errors/infrastructure-failure.js';
export { configureHttp, createHttpAdapter, DOCS_PATH } from './http/http-setup.js';
export {
  isLoopbackHost,
  matchesLoopbackRedirect,
  REDIRECT_URI_MAX_LENGTH,
  redirectUriViolation,
} from './http/redirect-uri.js';
export { OwnBodyTimeout } from './http/body-timeout.js';
export { currentRequestContext } from './http/request-context.js';
export { recordRequestPrincipal } from './http/request-principal.js';
export { createRootLogger, ROOT_LOGGER } from './logging/root-logger.js';
export { toFieldProblems, TRANSFORM_OPTIONS, VALIDATOR_OPTIONS } from './validation/validation.pipe.js';
export { provenValidFor } from './validation/proven-valid.js';
export { pooledRandom, type RandomBytes, RandomPool } from './crypto/random-pool.js';
export { deriveKey, derivedHmacKey, open, seal, sealedKeyVersion, secretKeyOf } from './crypto/sealed-box.js';
export { SkipRateLimit, StrictRateLimit } from './rate-limit/strict-rate-limit.decorator.js';
export { RateLimiter } from './rate-limit/rate-limiter.js';
export { RateLimitedError } from './rate-limit/rate-limit.errors.js';
export { NotPersonalData, notPersonalFieldsOf } from './privacy/not-personal-data.decorator.js';
export { clientAddressOf, ipv6Groups, unmappedAddress } from './http/client-address.js';
export { HealthService, type ReadinessReport } from './health/health.service.js';
export { Metrics } from './metrics/metrics.js';
export {
  inSpan,
  reportTracingProblemsTo,
  startTracing,
  stopTracing,
  runUntraced,
  tracingEnabled,
} from './tracing/tracing.js';
export { Untraced } from './tracing/untraced.decorator.js';
export { METRICS_PATH, MetricsServer } from './metrics/metrics-server.js';
