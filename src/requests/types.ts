import type { DetailedStatus } from './statuses';

export interface RequestFilter {
  jurisdictionId: string;
  ids?: string[];
  serviceIds?: number[];
  start?: Date;
  end?: Date;
  updatedAfter?: Date;
  updatedBefore?: Date;
  statuses?: Array<'open' | 'closed'>;
  detailedStatuses?: DetailedStatus[];
  agency?: string;
  near?: { lat: number; long: number; radius: number };
  bbox?: { minLong: number; minLat: number; maxLong: number; maxLat: number };
  district?: { layer: string; name: string };
  sort: 'requested' | 'distance' | 'updated';
  page: number;
  pageSize: number;
  /** Staff may see requests of private services; public lists never do. */
  includePrivate?: boolean;
  /** Staff work-queue filters (GET /staff/v1/requests); public lists never set them. */
  assignedTo?: string;
  assigned?: boolean;
  priorities?: string[];
  /** Open and past expected_datetime at `at` (value true), or not (false). */
  overdue?: { at: Date; value: boolean };
}

/**
 * One request as a GeoReport list shows it without `extensions` (no personal data is ever selected). A
 * list reads only these columns unless extended attributes are asked for: at 1,000 rows the jsonb
 * districts and attributes and the other extension columns were a sixth of the server's CPU per page.
 */
export interface RequestSummary {
  id: string;
  status: 'open' | 'closed';
  statusNotes: string | null;
  serviceName: string;
  serviceCode: string;
  description: string | null;
  agencyResponsible: string | null;
  serviceNotice: string | null;
  requestedAt: Date;
  updatedAt: Date;
  expectedAt: Date | null;
  closedAt: Date | null;
  address: string | null;
  addressId: string | null;
  zipcode: string | null;
  lat: number | null;
  long: number | null;
  /** Uploaded files (paths under /media, see media-paths.ts) first, then the URLs a client sent. */
  mediaUrls: string[];
  /** Thumbnails of the uploaded images (paths). */
  thumbnailUrls: string[];
  distanceMetres?: number;
}

/** One request as stored, in the shape the renderers need, with what `extensions=true` and staff show. */
export interface RequestRecord extends RequestSummary {
  detailedStatus: DetailedStatus;
  channel: string;
  priority: string;
  attributes: Record<string, unknown>;
  districts: Record<string, string>;
  /** How the point was found (issue #17) and its estimated accuracy in metres. */
  locationMatch: string | null;
  locationAccuracyM: number | null;
  parentRequestId: string | null;
  supporterCount: number;
}

export interface RequestNote {
  requestId: string;
  datetime: Date;
  type: string;
  summary: string | null;
  description: string | null;
}

/** A reporter's contact details: stored in request_contacts, never in a public response or a log. */
export interface Contact {
  email?: string;
  phone?: string;
  firstName?: string;
  lastName?: string;
  deviceId?: string;
  accountId?: string;
}
