import fs from 'node:fs';
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { MediaS3Config } from '../config';
import type { MediaStorage } from './types';

/**
 * An S3-compatible bucket. A custom endpoint (MinIO, Ceph, s3rver in the tests) gets path-style addressing,
 * which they all understand; AWS itself gets virtual-hosted style.
 */
export function s3Storage(config: MediaS3Config): MediaStorage {
  const client = new S3Client({
    region: config.region,
    // Checksums only where S3 requires them: the SDK's default (aws-chunked uploads with trailing CRC32)
    // is not understood by every S3-compatible server, which would store the chunk framing as the file.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(config.endpoint ? { endpoint: config.endpoint, forcePathStyle: true } : {}),
    ...(config.accessKeyId && config.secretAccessKey
      ? { credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey } }
      : {}),
  });
  const Bucket = config.bucket;
  return {
    kind: 's3',
    async put(key, source, contentType) {
      const { size } = await fs.promises.stat(source);
      await client.send(
        new PutObjectCommand({
          Bucket,
          Key: key,
          Body: fs.createReadStream(source),
          ContentLength: size,
          ContentType: contentType,
        }),
      );
    },
    async get(key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket, Key: key }));
        return (out.Body as Readable | undefined) ?? null;
      } catch (err) {
        if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return null;
        throw err;
      }
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },
    async presign(key, opts) {
      return getSignedUrl(
        client,
        new GetObjectCommand({
          Bucket,
          Key: key,
          ...(opts.disposition ? { ResponseContentDisposition: opts.disposition } : {}),
        }),
        { expiresIn: opts.expiresSeconds },
      );
    },
  };
}
