import path from 'node:path';
import express, { Router } from 'express';
import type { AppContext } from '../context';
import { badRequest, Problems } from '../core';
import { scalar, securityHeaders, type RawParams } from '../http';
import { parseDateTime } from '../core';
import { fromRoot } from '../paths';
import { assertDistrictLayer, districtLayers } from '../geo';
import { cachedLayers, layerGeoJson, points, summary } from './data';

const PUBLIC_DIR = fromRoot('src/dashboard/public');
// Both packages' main files live in their dist/ folders (chart.js exports no package.json to resolve).
const LEAFLET_DIR = path.dirname(require.resolve('leaflet'));
const CHART_JS = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
const DAY_MS = 86_400_000;

/**
 * /dashboard: the public performance and equity page (issue #9). The page and its libraries (Leaflet,
 * Chart.js, vendored through npm) are served from here; it needs no network. A base-map tile URL is
 * optional (DASHBOARD_TILE_URL); without one the map shows the city's own layers only.
 */
export function dashboardRouter(ctx: AppContext): Router {
  const router = Router();
  const tileOrigin = ctx.config.dashboardTileUrl
    ? new URL(ctx.config.dashboardTileUrl.replace(/\{[a-z]\}/g, 'a')).origin
    : null;
  router.use(
    securityHeaders(ctx.config, {
      'img-src': ["'self'", 'data:', ...(tileOrigin ? [tileOrigin] : [])],
      'script-src': ["'self'"],
    }),
  );
  router.use('/vendor/leaflet', express.static(LEAFLET_DIR, { maxAge: '1d' }));
  router.get('/vendor/chart.umd.min.js', (_req, res) => res.sendFile(CHART_JS));

  const period = async (q: RawParams) => {
    const j = await ctx.catalog.resolveJurisdiction(scalar(q, 'jurisdiction_id'));
    const problems = new Problems();
    const read = (name: string) => {
      const raw = scalar(q, name);
      const d = raw === undefined ? undefined : parseDateTime(raw, j.timeZone);
      if (raw !== undefined && !d) problems.add(`${name} must be a date such as 2026-11-01.`);
      return d ?? undefined;
    };
    const now = ctx.clock();
    const end = read('end_date') ?? now;
    const start = read('start_date') ?? new Date(end.getTime() - 90 * DAY_MS);
    if (start >= end) problems.add('start_date must be before end_date.');
    problems.throwIfAny();
    return { j, start, end, now };
  };

  // The cities this server hosts, each with its own page (/dashboard/?jurisdiction_id=ID), and the one a
  // page naming none shows (the only one, or DEFAULT_JURISDICTION; null: the page offers the choice).
  // Ids and names are public (every GeoReport 400 for a missing jurisdiction_id lists the ids).
  router.get('/api/jurisdictions', async (_req, res) => {
    const list = await ctx.catalog.listJurisdictions();
    const fallback = await ctx.catalog.fallbackJurisdiction();
    res.json({
      default: fallback?.id ?? null,
      jurisdictions: list.map((j) => ({ id: j.id, name: j.name })),
    });
  });
  router.get('/api/config', async (req, res) => {
    const j = await ctx.catalog.resolveJurisdiction(scalar(req.query as RawParams, 'jurisdiction_id'));
    res.json({
      jurisdiction: { id: j.id, name: j.name, time_zone: j.timeZone },
      layers: await districtLayers(ctx.read, j.id),
      tile_url: ctx.config.dashboardTileUrl,
    });
  });
  router.get('/api/summary', async (req, res) => {
    const q = req.query as RawParams;
    const { j, start, end, now } = await period(q);
    const available = await cachedLayers(ctx.read, ctx.figures, j.id);
    // A city with no district layers yet (none imported) has the city-wide figures and no area
    // breakdown (layer null); a layer named there, or one the city does not have, is a 400.
    const asked = scalar(q, 'layer');
    const layer = asked ?? available[available.length - 1] ?? null;
    if (layer !== null) assertDistrictLayer(layer, available, 'layer');
    res.json(
      await summary(ctx.read, ctx.figures, {
        jurisdictionId: j.id,
        timeZone: j.timeZone,
        start,
        end,
        now,
        layer,
      }),
    );
  });
  router.get('/api/layers/:layer.geojson', async (req, res) => {
    const j = await ctx.catalog.resolveJurisdiction(scalar(req.query as RawParams, 'jurisdiction_id'));
    const layer = String(req.params.layer);
    if (layer !== 'boundary' && !(await districtLayers(ctx.read, j.id)).includes(layer))
      throw badRequest(`Unknown layer "${layer}".`);
    res
      .type('application/geo+json')
      .json(await layerGeoJson(ctx.read, j.id, layer === 'boundary' ? null : layer));
  });
  router.get('/api/points.geojson', async (req, res) => {
    const { j, start, end } = await period(req.query as RawParams);
    res.type('application/geo+json').send(await points(ctx.read, ctx.figures, j.id, start, end));
  });
  router.use(express.static(PUBLIC_DIR, { index: 'index.html', maxAge: '5m' }));
  return router;
}
