export * from './api-keys';
export { KeyVerifier, type KeyCache } from './key-verifier';
export { apiKeyJson, parseNewKey, type NewApiKey } from './api-key-input';
