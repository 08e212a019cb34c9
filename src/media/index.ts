export type { MediaStorage } from '../storage';
export { describeFile, THUMB_PX, type UploadedFile } from './process';
export {
  commitMedia,
  discardMedia,
  PENDING_TTL_MS,
  storeUploads,
  sweepMedia,
  workDirOf,
  type MediaDeps,
  type PendingMedia,
} from './store';
export {
  findPublicMedia,
  findStaffMedia,
  listRequestMedia,
  type MediaFile,
  type StaffMediaItem,
} from './read';
export { setHidden } from './hide';
export { CACHE_SECONDS, mediaRouter, sendMediaFile } from './routes';
