import type { Readable } from 'node:stream';

export interface MediaStorage {
  readonly kind: 'local' | 's3';
  /** Stores the file at `source` (a local path) under `key`. */
  put(key: string, source: string, contentType: string): Promise<void>;
  /** The stored bytes, or null when nothing is stored under `key`. */
  get(key: string): Promise<Readable | null>;
  /** Removes `key`; removing what is not there is not an error. */
  delete(key: string): Promise<void>;
  /** A short-lived URL a client may fetch the file from directly, when the storage can make one. */
  presign?(key: string, opts: { expiresSeconds: number; disposition?: string }): Promise<string>;
}
