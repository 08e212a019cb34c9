/** Finding a stored file to serve: the public rule (issue #18.5) and the staff view of a request's files. */
import type { Knex } from 'knex';
import { mediaPath, thumbPath } from '../requests';
import { MEDIA_ID } from './ids';

export interface MediaFile {
  id: string;
  kind: 'image' | 'pdf';
  contentType: string;
  ext: string;
  bytes: number;
  sha256: string;
  storageKey: string;
  thumbKey: string | null;
  thumbExt: string | null;
}

interface Row {
  id: string;
  kind: 'image' | 'pdf';
  content_type: string;
  ext: string;
  bytes: number;
  sha256: string;
  storage_key: string;
  thumb_key: string | null;
  thumb_ext: string | null;
}

const COLUMNS = [
  'm.id',
  'm.kind',
  'm.content_type',
  'm.ext',
  'm.bytes',
  'm.sha256',
  'm.storage_key',
  'm.thumb_key',
  'm.thumb_ext',
];

const toFile = (r: Row): MediaFile => ({
  id: r.id,
  kind: r.kind,
  contentType: r.content_type,
  ext: r.ext,
  bytes: Number(r.bytes),
  sha256: r.sha256,
  storageKey: r.storage_key,
  thumbKey: r.thumb_key,
  thumbExt: r.thumb_ext,
});

/**
 * A file anyone may fetch: committed with its request, not hidden by staff, of a public service, and, for
 * an update's file, of a public update. Anything else is as if it did not exist (404).
 */
export async function findPublicMedia(knex: Knex, id: string): Promise<MediaFile | null> {
  if (!MEDIA_ID.test(id)) return null;
  const row = (await knex('media as m')
    .join('service_requests as r', 'r.id', 'm.request_id')
    .join('services as s', 's.id', 'r.service_id')
    .leftJoin('request_history as h', 'h.id', 'm.history_id')
    .where('m.id', id)
    .whereNotNull('m.committed_at')
    .whereNull('m.hidden_at')
    .where('s.is_private', false)
    .where((w) => w.whereNull('m.history_id').orWhere('h.public', true))
    .first(COLUMNS)) as Row | undefined;
  return row ? toFile(row) : null;
}

/** Staff: a committed file of their jurisdiction, hidden or not (the original is kept for them). */
export async function findStaffMedia(
  knex: Knex,
  jurisdictionId: string,
  id: string,
): Promise<MediaFile | null> {
  if (!MEDIA_ID.test(id)) return null;
  const row = (await knex('media as m')
    .where({ 'm.id': id, 'm.jurisdiction_id': jurisdictionId })
    .whereNotNull('m.committed_at')
    .first(COLUMNS)) as Row | undefined;
  return row ? toFile(row) : null;
}

export interface StaffMediaItem {
  id: string;
  kind: string;
  content_type: string;
  bytes: number;
  width: number | null;
  height: number | null;
  update_id: string | null;
  hidden: boolean;
  hidden_at: Date | null;
  hidden_by: string | null;
  url: string;
  thumbnail_url: string | null;
}

/** Staff: every file of a request (its own and its updates'), hidden ones included, as paths. */
export async function listRequestMedia(
  knex: Knex,
  jurisdictionId: string,
  requestId: string,
): Promise<StaffMediaItem[]> {
  if (!/^\d{1,18}$/.test(requestId)) return [];
  const rows = (await knex('media as m')
    .where({ 'm.jurisdiction_id': jurisdictionId, 'm.request_id': requestId })
    .whereNotNull('m.committed_at')
    .orderBy([{ column: 'm.committed_at' }, { column: 'm.position' }])
    .select(
      'm.id',
      'm.kind',
      'm.content_type',
      'm.ext',
      'm.bytes',
      'm.width',
      'm.height',
      knex.raw('m.history_id::text AS history_id'),
      'm.thumb_ext',
      'm.hidden_at',
      'm.hidden_by',
    )) as Array<{
    id: string;
    kind: string;
    content_type: string;
    ext: string;
    bytes: number;
    width: number | null;
    height: number | null;
    history_id: string | null;
    thumb_ext: string | null;
    hidden_at: Date | null;
    hidden_by: string | null;
  }>;
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    content_type: r.content_type,
    bytes: Number(r.bytes),
    width: r.width,
    height: r.height,
    update_id: r.history_id,
    hidden: r.hidden_at !== null,
    hidden_at: r.hidden_at,
    hidden_by: r.hidden_by,
    url: mediaPath(r.id, r.ext),
    thumbnail_url: r.thumb_ext ? thumbPath(r.id, r.thumb_ext) : null,
  }));
}
