/**
 * Response compression (gzip, deflate or br, as the client's Accept-Encoding asks), by the `compression`
 * package: the text answers (JSON, XML, CSV, NDJSON, GeoJSON, HTML, JavaScript, CSS, YAML, the metrics'
 * text) of 1 KB or more. Never photos, thumbnails and PDFs (already compressed, and a media answer's
 * Content-Length is its file's size), nor anything not on the list. A client that sends no Accept-Encoding
 * gets the same bytes as before; every answer of a listed type says `Vary: Accept-Encoding`. Streamed
 * answers (the bulk export) stay streamed: the compressor's buffer is bounded and its back-pressure passes
 * to the export's writes. A proxy in front may do this instead; it then sees no Content-Encoding to undo.
 */
import compression from 'compression';
import type { Request, Response } from 'express';

/** The Content-Types compressed (by their media type, whatever their parameters). */
const COMPRESSED =
  /^\s*(?:text\/(?:html|css|csv|plain|xml|javascript|yaml)|application\/(?:json|xml|javascript|yaml|x-yaml|x-ndjson|ndjson|[\w.-]+\+(?:json|xml)))\s*(?:;|$)/i;

/** Whether an answer of this Content-Type is compressed when the client asks for it. */
export function isCompressedType(contentType: string): boolean {
  return COMPRESSED.test(contentType);
}

/** Below this size an answer goes as it is: the gzip frame and the CPU would not pay for themselves. */
export const COMPRESS_THRESHOLD_BYTES = 1024;

export function compressResponses() {
  return compression({
    threshold: COMPRESS_THRESHOLD_BYTES,
    filter: (_req: Request, res: Response) => {
      const type = res.getHeader('Content-Type');
      return typeof type === 'string' && isCompressedType(type);
    },
  });
}
