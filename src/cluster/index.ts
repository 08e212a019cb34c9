export {
  CACHE_CHANNEL,
  CACHE_KINDS,
  parseInvalidation,
  publishInvalidation,
  startCacheSync,
  type CacheKind,
  type CacheSync,
  type Invalidation,
} from './cache-sync';
export { DatabaseRateLimitStore } from './rate-limit-store';
