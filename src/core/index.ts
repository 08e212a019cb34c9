export {
  AppError,
  Problems,
  badRequest,
  forbidden,
  notFound,
  quoted,
  transientConflict,
  translateDatabaseError,
} from './errors';
export { formatDateTime, parseDateTime, sqlDateTime, sqlIsoUtc } from './time';
export { checker, createAjv, fieldsOnly, queryInput } from './validation';
export {
  isPrivateLiteralHost,
  isPublicAddress,
  outboundFetch,
  PrivateAddressError,
  readTextLimited,
  type OutboundFetch,
} from './outbound';
export { createSlots, type Slots } from './slots';
export { createLifecycle, type Lifecycle } from './lifecycle';
