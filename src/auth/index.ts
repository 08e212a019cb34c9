export * from './api-keys';
export { KeyVerifier } from './key-verifier';
