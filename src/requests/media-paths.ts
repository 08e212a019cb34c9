/**
 * The public paths of uploaded media (issue #18.5), relative to the server's public base URL: the GeoReport
 * outputs list them (made absolute from PUBLIC_URL by the views) and src/media serves them.
 */
export const mediaPath = (id: string, ext: string): string => `/media/${id}.${ext}`;
export const thumbPath = (id: string, ext: string): string => `/media/${id}/thumb.${ext}`;

/** A relative media path made absolute; a URL a client sent (media_url) is kept as it is. */
export const absoluteMediaUrl = (base: string, url: string): string =>
  url.startsWith('/') ? `${base}${url}` : url;

/**
 * SQL for the visible uploads of a request (`r`), in the order sent: committed, not hidden by staff, and
 * not an update's; NULL when it has none (nearly every request: no JSON for the client to parse on each
 * row of a 1,000-row list). Reads the media table (src/media owns it).
 */
export const REQUEST_UPLOADS_SQL = `(SELECT json_agg(json_build_object('id', m.id, 'ext', m.ext, 'thumb_ext', m.thumb_ext)
    ORDER BY m.position) FROM media m
    WHERE m.request_id = r.id AND m.history_id IS NULL AND m.committed_at IS NOT NULL AND m.hidden_at IS NULL)`;

export interface UploadRef {
  id: string;
  ext: string;
  thumb_ext: string | null;
}

/** SQL for the public URLs of a request's (`r`) visible uploads then its sent URLs, as text[]: exports. */
export const requestMediaUrlsSql = (baseParam: string): string =>
  `ARRAY(SELECT ${baseParam} || '/media/' || m.id || '.' || m.ext FROM media m
     WHERE m.request_id = r.id AND m.history_id IS NULL AND m.committed_at IS NOT NULL AND m.hidden_at IS NULL
     ORDER BY m.position) || coalesce(r.media_urls, '{}'::text[])`;
