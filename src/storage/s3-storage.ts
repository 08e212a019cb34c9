import fs from 'node:fs';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { MediaS3Config } from '../config';
import type { MediaStorage } from './types';

/**
 * An S3-compatible bucket. A custom endpoint (MinIO, Ceph, s3rver in the tests) gets path-style addressing,
 * which they all understand; AWS itself gets virtual-hosted style.
 */
export function s3Storage(config: MediaS3Config): MediaStorage {
  // The SDK (about 17 MB and 0.3–0.6 s to load) is loaded, and the client made, when a file is first
  // stored or read, not at start: most requests never touch media (docs/decisions/0002-performance.md).
  let sdk: { s3: typeof import('@aws-sdk/client-s3'); client: S3Client } | undefined;
  const load = () => {
    if (sdk) return sdk;
    /* eslint-disable @typescript-eslint/no-require-imports */
    const s3 = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const client = new s3.S3Client({
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
    sdk = { s3, client };
    return sdk;
  };
  const Bucket = config.bucket;
  return {
    kind: 's3',
    async put(key, source, contentType) {
      const { s3, client } = load();
      const { size } = await fs.promises.stat(source);
      await client.send(
        new s3.PutObjectCommand({
          Bucket,
          Key: key,
          Body: fs.createReadStream(source),
          ContentLength: size,
          ContentType: contentType,
        }),
      );
    },
    async get(key) {
      const { s3, client } = load();
      try {
        const out = await client.send(new s3.GetObjectCommand({ Bucket, Key: key }));
        return (out.Body as Readable | undefined) ?? null;
      } catch (err) {
        if (err instanceof s3.NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return null;
        throw err;
      }
    },
    async delete(key) {
      const { s3, client } = load();
      await client.send(new s3.DeleteObjectCommand({ Bucket, Key: key }));
    },
    async presign(key, opts) {
      const { s3, client } = load();
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { getSignedUrl } =
        require('@aws-sdk/s3-request-presigner') as typeof import('@aws-sdk/s3-request-presigner');
      /* eslint-enable @typescript-eslint/no-require-imports */
      return getSignedUrl(
        client,
        new s3.GetObjectCommand({
          Bucket,
          Key: key,
          ...(opts.disposition ? { ResponseContentDisposition: opts.disposition } : {}),
        }),
        { expiresIn: opts.expiresSeconds },
      );
    },
  };
}
