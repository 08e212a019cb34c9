export * from './api-keys';
export { KeyVerifier, type KeyCache } from './key-verifier';
