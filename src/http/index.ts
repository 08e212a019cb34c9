export {
  apiKeyOf,
  assertJurisdiction,
  boundJurisdictionOf,
  optionalKey,
  perKeyRateLimit,
  rateLimitStore,
  requireKey,
  resolveJurisdictionFor,
} from './auth';
export {
  bodyFiles,
  bodyTypes,
  FILE_FIELD,
  formBody,
  jsonBody,
  writeBody,
  type BodyFile,
  type FileLimits,
} from './body';
export { securityHeaders } from './security-headers';
export { guardBody, guardPathAndQuery } from './input-guard';
export { createLogger, httpLogger } from './logging';
export { type FieldShape, type RawParams, bodyShapes, flag, number, scalar, shapeProblems } from './params';
export { type Value, escapeXml, stripNonXmlChars } from './render';
export { errorHandler, formatParam, send } from './respond';
export { answerClientError } from './client-error';
export { open311Cors } from './cors';
export { httpMetrics, metricsHandler, routeLabel } from './metrics';
export { compressResponses, isCompressedType } from './compress';
export { gracefulServer, IDLE_GRACE_MS, type GracefulServer, type ShutdownTimers } from './graceful';
