export { createMediaStorage, type MediaStorage } from './storage';
