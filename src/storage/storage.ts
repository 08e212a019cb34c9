/**
^ * Where uploaded media files live, behind one small interface (issue #18.4): a folder on local disk (MEDIA_DIR, the
 * embedded default) or an S3-compatible bucket (production, several processes). Chosen once from the
 * configuration and kept in the context.
 */
import type { Config } from '../config';
import { localStorage } from './local-storage';
import { s3Storage } from './s3-storage';
import type { MediaStorage } from './types';

export type { MediaStorage } from './types';

export function createMediaStorage(config: Pick<Config, 'mediaDir' | 'mediaS3'>): MediaStorage {
  return config.mediaS3 ? s3Storage(config.mediaS3) : localStorage(config.mediaDir);
}
