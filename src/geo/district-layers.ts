import type { Knex } from 'knex';
import { badRequest, quoted } from '../core';

/** A jurisdiction's district layers (ward, police_district, ...), in name order. */
export async function districtLayers(knex: Knex, jurisdictionId: string): Promise<string[]> {
  return (
    (await knex('districts')
      .where('jurisdiction_id', jurisdictionId)
      .distinct('layer')
      .orderBy('layer')) as Array<{ layer: string }>
  ).map((l) => l.layer);
}

/**
 * 400 unless `layer` is one of `layers`: a filter or grouping on a layer the city never imported would
 * otherwise answer an empty list or put every request "outside any district". `name` is the parameter
 * as the caller wrote it (`district_layer`, `layer`, `group_by`). The dashboard, the GeoReport lists, the
 * bulk export and the reports give the same sentence.
 */
export function assertDistrictLayer(layer: string, layers: readonly string[], name: string): void {
  if (layers.includes(layer)) return;
  throw badRequest(
    layers.length > 0
      ? `${name} must be one of ${layers.join(', ')}.`
      : `${name} "${quoted(layer)}" is not known: this jurisdiction has no district layers.`,
  );
}
