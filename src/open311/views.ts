/**
 * Domain objects → Open311 payloads, field order as in the standard. Personal data is never read here
 * because it is never selected (request_contacts is not joined by any public query).
 */
import { attributeDoc, type Jurisdiction, type Service } from '../catalog';
import { ADDRESS_POINT_ACCURACY_M, type AddressMatch } from '../geo';
import {
  absoluteMediaUrl,
  districtsBeside,
  EXTENDED_ATTRIBUTE_FIELDS,
  type ExtendedAttributeField,
  type GeoReportRequestField,
  type RequestNote,
  type RequestRecord,
  type RequestSummary,
} from '../requests';
import type { Value } from '../http';
import { formatDateTime } from '../core';

export function serviceView(s: Service): Value {
  return {
    service_code: s.serviceCode,
    service_name: s.serviceName,
    description: s.description || null,
    metadata: s.attributes.length > 0,
    type: s.type,
    keywords: s.keywords.length > 0 ? s.keywords.join(', ') : null,
    group: s.groups[0] ?? null,
    // Extension (OPEN311.md): every group, for services that sit in several.
    groups: s.groups,
  };
}

export function serviceDefinitionView(s: Service): Value {
  return {
    service_code: s.serviceCode,
    attributes: s.attributes.map((a) => ({ ...attributeDoc(a) })),
  };
}

export interface RequestViewOptions {
  timeZone: string;
  extensions: boolean;
  notes?: RequestNote[];
  /** The public base URL (PUBLIC_URL): uploaded media are listed as absolute URLs under it. */
  baseUrl?: string;
}

const isRecord = (r: RequestSummary): r is RequestRecord => 'detailedStatus' in r;

/** Fields of one output, each named in that output's list (requests/output-fields.ts). */
type Fields<K extends string> = { [key in K]?: Value };

/**
 * A request's GeoReport fields; with `extensions`, its extended attributes and notes (a full record). Every
 * key is one of GEOREPORT_REQUEST_FIELDS and EXTENDED_ATTRIBUTE_FIELDS (the types say so), which district
 * layers may not be named; a layer named so by an older version is left out rather than overwrite the field.
 */
export function requestView(r: RequestSummary | RequestRecord, o: RequestViewOptions): Value {
  const base = o.baseUrl ?? '';
  const first = r.mediaUrls[0];
  const view: Fields<GeoReportRequestField> = {
    service_request_id: r.id,
    status: r.status,
    status_notes: r.statusNotes,
    service_name: r.serviceName,
    service_code: r.serviceCode,
    description: r.description,
    agency_responsible: r.agencyResponsible,
    service_notice: r.serviceNotice,
    requested_datetime: formatDateTime(r.requestedAt, o.timeZone),
    updated_datetime: formatDateTime(r.updatedAt, o.timeZone),
    expected_datetime: formatDateTime(r.expectedAt, o.timeZone),
    address: r.address,
    address_id: r.addressId,
    zipcode: r.zipcode,
    lat: r.lat,
    long: r.long,
    media_url: first === undefined ? null : absoluteMediaUrl(base, first),
  };
  if (o.extensions) {
    if (!isRecord(r)) throw new Error('requestView: extensions need the record with its extended columns');
    const head: Fields<ExtendedAttributeField> = {
      detailed_status: r.detailedStatus,
      channel: r.channel,
      priority: r.priority,
    };
    const tail: Fields<ExtendedAttributeField> = {
      location_match: r.locationMatch,
      location_accuracy_m: r.locationAccuracyM,
      // A report linked to another of the same problem (it follows that one; `duplicate` status once confirmed).
      duplicate: r.parentRequestId !== null,
      parent_service_request_id: r.parentRequestId,
      supporter_count: r.supporterCount,
      ...(r.distanceMetres !== undefined ? { distance: Math.round(r.distanceMetres * 10) / 10 } : {}),
      media_urls: r.mediaUrls.map((u) => absoluteMediaUrl(base, u)),
      attributes: r.attributes as Value,
    };
    view.extended_attributes = {
      ...head,
      ...districtsBeside(r.districts, EXTENDED_ATTRIBUTE_FIELDS),
      ...tail,
    } as Value;
    view.notes = (o.notes ?? []).map((n) => ({
      datetime: formatDateTime(n.datetime, o.timeZone),
      type: n.type,
      summary: n.summary,
      description: n.description,
    }));
  }
  return view as Value;
}

/** GeoJSON (RFC 7946) of a request list: one Point feature per request, the JSON fields as properties. */
export function featureCollection(list: Array<{ record: RequestSummary; view: Value }>): Value {
  return {
    type: 'FeatureCollection',
    features: list.map(({ record: r, view }) => ({
      type: 'Feature',
      id: r.id,
      geometry: r.lat === null || r.long === null ? null : { type: 'Point', coordinates: [r.long, r.lat] },
      properties: view,
    })),
  };
}

export function discoveryView(
  baseUrl: string,
  j: Jurisdiction | undefined,
  changeset: Date,
  timeZone: string,
): Value {
  const stamp = formatDateTime(changeset, timeZone);
  return {
    changeset: stamp,
    contact: j ? [j.name, j.email, j.phone].filter(Boolean).join(', ') : 'See the server operator.',
    key_service: `Ask the city for an API key; operators issue them with POST ${baseUrl.replace(/\/open311\/v2$/, '')}/admin/v1/api-keys.`,
    endpoints: [
      {
        specification: 'http://wiki.open311.org/GeoReport_v2',
        url: baseUrl,
        changeset: stamp,
        type: 'production',
        formats: ['text/xml', 'application/json'],
      },
    ],
  };
}

export function addressView(a: AddressMatch): Value {
  return {
    address_id: a.id,
    address: a.address,
    zipcode: a.zip,
    lat: a.lat,
    long: a.long,
    location_match: a.match ?? 'address_point',
    location_accuracy_m: a.accuracyM ?? ADDRESS_POINT_ACCURACY_M,
    ...(a.distanceMetres !== undefined ? { distance: Math.round(a.distanceMetres * 10) / 10 } : {}),
  };
}
