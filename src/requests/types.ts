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
}

/** One request as stored, in the shape the renderers need (no personal data is ever selected). */
export interface RequestRecord {
  id: string;
  status: 'open' | 'closed';
  detailedStatus: DetailedStatus;
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
  channel: string;
  priority: string;
  attributes: Record<string, unknown>;
  districts: Record<string, string>;
  /** How the point was found (issue #17) and its estimated accuracy in metres. */
  locationMatch: string | null;
  locationAccuracyM: number | null;
  parentRequestId: string | null;
  supporterCount: number;
  distanceMetres?: number;
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
