import { PassThrough, pipeline, Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import { Router } from 'express';
import type { AppContext } from '../context';
import { resolveJurisdictionFor } from '../http';
import { AppError, badRequest, quoted } from '../core';
import { importLayerStream, isPointLayer, parseLayer } from '../geo';
import { scalar, type RawParams } from '../http';
import { assertLayerNameFree } from '../requests';

const COLUMNS = [
  ['address', 'address'],
  ['externalId', 'external_id'],
  ['houseNumber', 'house_number'],
  ['street', 'street'],
  ['unit', 'unit'],
  ['zip', 'zip'],
  ['lat', 'lat'],
  ['long', 'long'],
] as const;

/**
 * The stream the body is read through: as it is, or decompressed for `Content-Encoding: gzip`, `deflate`
 * or `br` (what the JSON and form parsers accept; a corrupt stream is a 400 from the file's reader). Any
 * other coding is a 415: it used to be read as CSV text and its bytes echoed in the error (probe L5).
 */
function bodyDecoder(header: string | undefined): Transform {
  const codings = (header ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return new PassThrough();
  if (codings.length === 1) {
    if (codings[0] === 'gzip' || codings[0] === 'x-gzip') return zlib.createGunzip();
    if (codings[0] === 'deflate') return zlib.createInflate();
    if (codings[0] === 'br') return zlib.createBrotliDecompress();
  }
  throw new AppError(
    415,
    `Content-Encoding ${JSON.stringify(quoted(header ?? '', 40))} is not supported: send the file as it is, or compressed with gzip, deflate or br.`,
  );
}

/** Boundary and district files are read whole before they are checked: at most this much of them. */
const POLYGON_MAX_BYTES = 128 * 1_048_576;

/** The most of a layer's file read over HTTP, once decoded (GEO_IMPORT_MAX_MB; less for files read whole). */
function byteCap(configured: number, layerKind: string): { max: number; tooLarge: () => AppError } {
  const readWhole = !isPointLayer(layerKind);
  const max = readWhole ? Math.min(configured, POLYGON_MAX_BYTES) : configured;
  const tooLarge = () =>
    new AppError(
      413,
      `The ${layerKind} file is larger than ${Math.round(max / 1_048_576)} MB once decompressed, the most this server reads over HTTP (GEO_IMPORT_MAX_MB${readWhole ? '; 128 MB for boundaries and districts' : ''}): nothing was imported. Split it, or import it with the \`geo import\` command on the server.`,
    );
  return { max, tooLarge };
}

/**
 * The body's bytes after decoding, refused with a 413 past the cap: a small gzip body could otherwise
 * inflate to gigabytes (decompression bomb), and an unbounded upload fill the server's memory where the
 * file is read whole (boundaries, districts: POLYGON_MAX_BYTES at most). The import reading it sees the 413
 * and writes nothing.
 */
function byteLimit({ max, tooLarge }: ReturnType<typeof byteCap>): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      seen += chunk.length;
      if (seen <= max) return done(null, chunk);
      done(tooLarge());
    },
  });
}

/**
 * POST /admin/v1/jurisdictions/{id}/geography/{layer}: the `geo import` command over HTTP, with its checks
 * and its all-or-nothing policy (geo's importLayerStream): any rejected row answers 400 with the rejects
 * listed and writes nothing. The body is the file itself (GeoJSON: application/geo+json or
 * application/json; CSV: text/csv), streamed, and decompressed for Content-Encoding gzip, deflate or br. Query: `replace=true`, `allow_rejects=true` (import the valid
 * rows, list the rest), `dry_run=true` (validate and report, write nothing: 200), `srid`, `name_property`,
 * and `col_street` etc. for CSV columns (`col_address`: a one-line address column).
 */
export function geographyRouter(ctx: AppContext): Router {
  const router = Router();
  router.post('/jurisdictions/:id/geography/:layer', async (req, res) => {
    const j = await resolveJurisdictionFor(ctx, res, String(req.params.id));
    const layer = parseLayer(String(req.params.layer));
    if (!layer)
      throw badRequest(
        'layer must be boundary, addresses, intersections or districts:NAME (e.g. districts:ward).',
      );
    // A layer's name becomes a key of every request's output: not one of the built-in fields' names.
    if (layer.kind === 'districts') assertLayerNameFree(layer.name);
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    const format = type.startsWith('text/csv') ? 'csv' : type.includes('json') ? 'geojson' : null;
    if (!format) throw new AppError(415, 'Send GeoJSON (application/geo+json) or CSV (text/csv).');
    const q = req.query as RawParams;
    const srid = scalar(q, 'srid');
    if (srid !== undefined && !/^\d{4,6}$/.test(srid))
      throw badRequest('srid must be an EPSG code such as 2249.');
    const flag = (name: string) => scalar(q, name) === 'true';
    const decoder = bodyDecoder(req.headers['content-encoding']);
    const cap = byteCap(ctx.config.geoImportMaxBytes, layer.kind);
    // A file sent as it is that says it is over the cap is refused before a byte is read (it used to be
    // read, and its rows checked, for minutes before the 413), and the connection closed after the answer:
    // Node would otherwise read the rest of the body to keep the connection.
    if (decoder instanceof PassThrough && Number(req.headers['content-length']) > cap.max) {
      res.setHeader('Connection', 'close');
      throw cap.tooLarge();
    }
    // The import reads its own copy of the body: a refused import stops reading and destroys that copy,
    // never the request, so the answer still reaches the client (Node drains the rest of the body).
    // A decoder's error (a corrupt gzip stream) may come before the import reads: the pipeline holds it
    // for the reader instead of leaving an 'error' event with no listener.
    const body = byteLimit(cap);
    if (decoder instanceof PassThrough) req.pipe(body);
    else pipeline(req.pipe(decoder), body, () => undefined);
    // A client that hangs up before the import has read the whole upload ends the import: piping never
    // ends the copy then, and the import would wait for the rest inside its transaction for good, holding
    // a database connection (on the embedded database, the only one). That includes an upload sent whole
    // but not yet read (a large file waits in the request's buffer while the import works): the socket's
    // close discards it, so the test is whether the request's end was read, not whether it arrived.
    const cut = () => {
      if (!req.readableEnded && !body.destroyed)
        body.destroy(new AppError(400, 'The upload was cut off before its end: nothing was imported.'));
    };
    req.once('aborted', cut);
    req.once('close', cut);
    const dryRun = flag('dry_run');
    const report = await importLayerStream(ctx.knex, j.id, layer, body, {
      format,
      srid: srid === undefined ? undefined : Number(srid),
      replace: flag('replace'),
      allowRejects: flag('allow_rejects'),
      dryRun,
      nameProperty: scalar(q, 'name_property'),
      columns: Object.fromEntries(
        COLUMNS.map(([key, param]) => [key, scalar(q, `col_${param}`)]).filter(([, v]) => v !== undefined),
      ),
    });
    if (report.written) await ctx.invalidate('catalog');
    res.status(dryRun ? 200 : 201).json({
      layer: report.layer,
      dry_run: dryRun,
      written: report.written,
      accepted: report.accepted,
      rejected: report.rejected.slice(0, 1000),
      rejected_count: report.rejected.length,
      existing: report.existing,
      replaced: report.replaces ? report.existing : 0,
      warnings: report.warnings,
      // Address points: how the file met the points in place (kept and moved keep their address_id).
      ...(report.points && {
        kept: report.points.kept,
        moved: report.points.moved,
        added: report.points.added,
        removed: report.points.removed,
        requests_unlinked: report.points.requestsUnlinked,
      }),
    });
  });
  return router;
}
