/**
 * Files sent with a request or an update (issue #18.1): stored first, then committed in the write's own
 * transaction; anything that stops the write (a refusal, an idempotent retry, a failure) removes them.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Knex } from 'knex';
import type { Config } from '../config';
import type { AppContext } from '../context';
import type { BodyFile, FileLimits } from '../http';
import { commitMedia, discardMedia, storeUploads, workDirOf } from '../media';

export type Attach = (
  trx: Knex.Transaction,
  ref: { requestId: string; historyId: string | null },
) => Promise<void>;

export const fileLimits = (config: Readonly<Config>): FileLimits => ({
  dir: workDirOf(config),
  maxBytes: config.mediaMaxBytes,
  maxFiles: config.mediaMaxFiles,
});

export async function withUploads<T>(
  ctx: AppContext,
  jurisdictionId: string,
  files: BodyFile[],
  write: (attach: Attach | undefined) => Promise<T>,
): Promise<T> {
  if (files.length === 0) return write(undefined);
  const pending = await storeUploads(ctx, jurisdictionId, files).finally(() =>
    // The spooled parts are done with (what is kept was copied); the response's cleanup is a backstop.
    Promise.all(files.map((f) => fs.promises.rm(f.path, { force: true }))),
  );
  let committed = false;
  try {
    const result = await write(async (trx, ref) => {
      await commitMedia(trx, pending, ref, ctx.clock());
      committed = true;
    });
    if (!committed) await discardMedia(ctx, pending);
    return result;
  } catch (err) {
    await discardMedia(ctx, pending);
    throw err;
  }
}

/**
 * What identifies the files of a submission for its idempotency fingerprint: each file's sha256 and size,
 * in the order sent (its name and field are not part of it); undefined without files.
 */
export async function fileDigests(files: BodyFile[]): Promise<string[] | undefined> {
  if (files.length === 0) return undefined;
  return Promise.all(
    files.map(async (f) => {
      const hash = crypto.createHash('sha256');
      await pipeline(fs.createReadStream(f.path), hash);
      return `${hash.digest('hex')}:${f.size}`;
    }),
  );
}
