export { apiKeyOf, perKeyRateLimit, requireKey } from './auth';
export { writeBody } from './body';
export { guardBody, guardPathAndQuery } from './input-guard';
export { createLogger, httpLogger } from './logging';
export { type RawParams, number, scalar } from './params';
export { type Value, escapeXml, stripNonXmlChars } from './render';
export { errorHandler, formatParam, send } from './respond';
