/**
 * The media table's writer (docs/architecture.md). Files are processed and stored first, each under a
 * pending row (committed_at null); the request or update that carries them commits the rows in its own
 * transaction (`commitMedia`). A failure before that deletes them (`discardMedia`), and the worker's sweep
 * deletes whatever a crash left pending (`sweepMedia`): no request without its photos, no photo without
 * its request.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Config } from '../config';
import { Problems, type Slots } from '../core';
import { newMediaId } from './ids';
import { detectType, processFile, type MediaKind, type UploadedFile } from './process';
import type { MediaStorage } from '../storage';

export interface MediaDeps {
  knex: Knex;
  clock: () => Date;
  media: MediaStorage;
  imageSlots: Slots;
  config: Pick<Readonly<Config>, 'mediaDir' | 'mediaMaxPixels' | 'mediaMaxPdfPages'>;
}

/** A stored file whose row is not committed yet. */
export interface PendingMedia {
  id: string;
  kind: MediaKind;
  ext: string;
  storageKey: string;
  thumbKey: string | null;
}

/** Pending rows older than this were left by a transaction that never committed. */
export const PENDING_TTL_MS = 30 * 60_000;

export const storageKey = (id: string, ext: string) => `${id.slice(0, 2)}/${id}.${ext}`;
export const thumbStorageKey = (id: string, ext: string) => `${id.slice(0, 2)}/${id}.thumb.${ext}`;

export const workDirOf = (config: Pick<Config, 'mediaDir'>) => path.join(config.mediaDir, 'tmp');

/**
 * Checks every file (all problems at once), then processes and stores them one after another (one image
 * decoded at a time bounds the memory). Any failure removes what was already stored.
 */
export async function storeUploads(
  deps: MediaDeps,
  jurisdictionId: string,
  files: UploadedFile[],
): Promise<PendingMedia[]> {
  const problems = new Problems();
  const types = await Promise.all(
    files.map((f) =>
      detectType(f).catch((err: Error) => {
        problems.add(err.message);
        return null;
      }),
    ),
  );
  problems.throwIfAny();
  const workDir = workDirOf(deps.config);
  await fs.promises.mkdir(workDir, { recursive: true });
  const stored: PendingMedia[] = [];
  try {
    for (const [i, f] of files.entries()) {
      const p = await deps.imageSlots.run(() =>
        processFile(f, types[i] as NonNullable<(typeof types)[number]>, {
          maxPixels: deps.config.mediaMaxPixels,
          maxPdfPages: deps.config.mediaMaxPdfPages,
          workDir,
        }),
      );
      const id = newMediaId();
      const pending: PendingMedia = {
        id,
        kind: p.kind,
        ext: p.ext,
        storageKey: storageKey(id, p.ext),
        thumbKey: p.thumb ? thumbStorageKey(id, p.thumb.ext) : null,
      };
      try {
        await deps.knex('media').insert({
          id,
          jurisdiction_id: jurisdictionId,
          kind: p.kind,
          content_type: p.contentType,
          ext: p.ext,
          bytes: p.bytes,
          width: p.width,
          height: p.height,
          sha256: p.sha256,
          storage_key: pending.storageKey,
          thumb_key: pending.thumbKey,
          thumb_ext: p.thumb?.ext ?? null,
          created_at: deps.clock(),
        });
        stored.push(pending);
        await deps.media.put(pending.storageKey, p.file, p.contentType);
        if (p.thumb && pending.thumbKey)
          await deps.media.put(pending.thumbKey, p.thumb.file, p.thumb.contentType);
      } finally {
        await Promise.all(
          [p.file, p.thumb?.file]
            .filter((x): x is string => !!x)
            .map((x) => fs.promises.rm(x, { force: true })),
        );
      }
    }
  } catch (err) {
    await discardMedia(deps, stored);
    throw err;
  }
  return stored;
}

/**
 * Attaches stored files to their request (and update), inside the caller's transaction. A row the sweep
 * already removed makes the whole transaction fail rather than publish a missing file.
 */
export async function commitMedia(
  trx: Knex.Transaction,
  pending: PendingMedia[],
  ref: { requestId: string; historyId: string | null },
  at: Date,
): Promise<void> {
  if (pending.length === 0) return;
  const ids = pending.map((p) => p.id);
  const updated = (await trx.raw(
    `UPDATE media SET request_id = ?::bigint, history_id = ?::bigint, committed_at = ?,
       position = array_position(?::text[], id) - 1
     WHERE id = ANY(?::text[]) AND committed_at IS NULL RETURNING id`,
    [ref.requestId, ref.historyId, at, ids, ids],
  )) as { rows: Array<{ id: string }> };
  if (updated.rows.length !== ids.length) throw new Error('Stored media vanished before they were committed');
}

/**
 * Deletes pending rows (never a committed one) and then their files: the row is claimed first, so a commit
 * racing with it either wins (the row stays, with its files) or finds the row gone and rolls back.
 */
async function deletePending(deps: Pick<MediaDeps, 'knex' | 'media'>, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = (await deps
    .knex('media')
    .whereIn('id', ids)
    .whereNull('committed_at')
    .del()
    .returning(['storage_key', 'thumb_key'])) as Array<{ storage_key: string; thumb_key: string | null }>;
  for (const r of rows) {
    await deps.media.delete(r.storage_key);
    if (r.thumb_key) await deps.media.delete(r.thumb_key);
  }
  return rows.length;
}

/** Removes stored files whose request or update was not written (a refusal, an idempotent retry). */
export async function discardMedia(
  deps: Pick<MediaDeps, 'knex' | 'media'>,
  pending: PendingMedia[],
): Promise<void> {
  await deletePending(
    deps,
    pending.map((p) => p.id),
  );
}

/** The worker's sweep: files whose request or update never committed (a crash, a lost connection). */
export async function sweepMedia(deps: Pick<MediaDeps, 'knex' | 'media'>, now: Date): Promise<number> {
  const ids = (await deps
    .knex('media')
    .whereNull('committed_at')
    .where('created_at', '<', new Date(now.getTime() - PENDING_TTL_MS))
    .orderBy('created_at')
    .limit(100)
    .pluck('id')) as string[];
  return deletePending(deps, ids);
}
