export * from './api-keys';
export { KeyVerifier } from './key-verifier';
export { apiKeyJson, parseNewKey, type NewApiKey } from './api-key-input';
