/**
 * POST requests (GeoReport v2 "Create service request"): validate everything first and collect every
 * problem, then write the request, its contact details and its first history row in one transaction.
 * A repeat with the same client_request_id / Idempotency-Key from the same key returns the first result.
 */
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { ApiKey } from '../auth';
import { validateAttributes, type Jurisdiction, type Service } from '../catalog';
import type { AppContext } from '../context';
import { AppError, badRequest, Problems } from '../core';
import { computeExpected, describeResponseLevel } from './response-level';
import { resolveLocation, type LocationInput } from './location';
import { insertRequest, type NewRequest } from './write';
import { findParent, pointFactsAndParent, type Candidate } from './duplicates';
import type { LatLong } from '../geo';
import type { Contact } from './types';
import type { DetailedStatus } from './statuses';

export interface Submission {
  serviceCode?: string;
  location: LocationInput;
  attributes: Record<string, string | string[]>;
  description?: string;
  mediaUrls: string[];
  contact: Contact;
  clientRequestId?: string;
  /**
   * The files sent with the submission (sha256 and size of each, in the order sent): read for the
   * idempotency fingerprint only. Absent without files, so a file-less submission's fingerprint is as before.
   */
  files?: string[];
}

export interface IntakeResult {
  serviceRequestId: string | null;
  token: string | null;
  serviceNotice: string | null;
  accountId: string | null;
}

async function findService(
  ctx: AppContext,
  j: Jurisdiction,
  code: string | undefined,
  problems: Problems,
): Promise<Service | null> {
  if (code === undefined) {
    problems.add('service_code is required.');
    return null;
  }
  const service = await ctx.catalog.service(j.id, code);
  if (!service || !service.active) {
    problems.add(`service_code "${code}" is not a service of ${j.name}. GET services lists them.`);
    return null;
  }
  return service;
}

/**
 * What makes two submissions "the same request" for idempotency: everything the resident sent, files
 * included (a retry with other photos, or none, is another request: 409), in a canonical order, hashed (the
 * key itself is not part of it).
 */
export function submissionFingerprint(sub: Submission): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  const { clientRequestId: _ignored, ...rest } = sub;
  return crypto
    .createHash('sha256')
    .update(JSON.stringify(canonical(rest)))
    .digest('base64url');
}

function conflict(clientRequestId: string): AppError {
  return new AppError(
    409,
    `The Idempotency-Key or client_request_id "${clientRequestId.slice(0, 80)}" was already used for a different request; send a new key for a new request.`,
  );
}

async function previousResult(
  knex: Knex,
  apiKeyId: number,
  clientRequestId: string,
  fingerprint: string,
): Promise<IntakeResult | null> {
  const request = (await knex('service_requests as r')
    .leftJoin('request_contacts as c', 'c.request_id', 'r.id')
    .where({ 'r.api_key_id': apiKeyId, 'r.client_request_id': clientRequestId })
    .first(
      knex.raw('r.id::text AS id'),
      'r.service_notice',
      'c.account_id',
      's.type',
      'r.client_request_fingerprint',
    )
    .join('services as s', 's.id', 'r.service_id')) as
    | {
        id: string;
        service_notice: string | null;
        account_id: string | null;
        type: string;
        client_request_fingerprint: string | null;
      }
    | undefined;
  if (request) {
    // Requests stored before fingerprints existed (null) keep answering with the first result.
    if (request.client_request_fingerprint !== null && request.client_request_fingerprint !== fingerprint)
      throw conflict(clientRequestId);
    return {
      serviceRequestId: request.type === 'blackbox' ? null : request.id,
      token: null,
      serviceNotice: request.service_notice,
      accountId: request.account_id,
    };
  }
  const token = (await knex('request_tokens')
    .where({ api_key_id: apiKeyId, client_request_id: clientRequestId })
    .first('token', 'submission')) as { token: string; submission: NewRequest } | undefined;
  if (token) {
    const stored = token.submission.clientRequestFingerprint;
    if (stored && stored !== fingerprint) throw conflict(clientRequestId);
    return {
      serviceRequestId: null,
      token: token.token,
      serviceNotice: token.submission.serviceNotice,
      accountId: token.submission.contact.accountId ?? null,
    };
  }
  return null;
}

/**
 * Work to do in the transaction that creates the request (uploaded files: src/media commits their rows).
 * Not called when no request is created (an idempotent retry answers with the first one).
 */
export type AttachToRequest = (trx: Knex.Transaction, requestId: string) => Promise<void>;

const samePoint = (a: LatLong, b: LatLong) => a.lat === b.lat && a.long === b.long;

export async function submitRequest(
  ctx: AppContext,
  j: Jurisdiction,
  key: ApiKey,
  sub: Submission,
  attach?: AttachToRequest,
): Promise<IntakeResult> {
  const problems = new Problems();
  const service = await findService(ctx, j, sub.serviceCode, problems);
  let attributes: Record<string, unknown> = {};
  if (service) {
    const checked = validateAttributes(service, sub.attributes, ctx.validators);
    if (checked.ok) attributes = checked.values;
    else checked.problems.forEach((p) => problems.add(p));
  }
  const { point, addressString, addressId } = sub.location;
  if (!point && addressString === undefined && addressId === undefined) {
    problems.add('A location is required: send lat and long, or address_string, or address_id.');
  }
  problems.throwIfAny();
  if (!service) throw badRequest('The request could not be accepted.');
  const now = ctx.clock();
  // A point alone (the common POST): its facts and the duplicate check's candidates in one round trip.
  const checked: { at?: LatLong; parent?: Candidate | null } = {};
  const location = await resolveLocation(
    ctx.knex,
    ctx.config,
    j.id,
    sub.location,
    problems,
    point && addressString === undefined && addressId === undefined
      ? async (knex, jurisdictionId, p, toleranceMetres, nearestWithinMetres) => {
          const found = await pointFactsAndParent(
            knex,
            jurisdictionId,
            service,
            p,
            now,
            toleranceMetres,
            nearestWithinMetres,
          );
          checked.at = p;
          checked.parent = found.parent;
          return found.facts;
        }
      : undefined,
  );
  problems.throwIfAny();
  if (!location) throw badRequest('The request could not be accepted.');

  // Only a submission with a client_request_id is compared with an earlier one (a hash of the whole body).
  const fingerprint = sub.clientRequestId !== undefined ? submissionFingerprint(sub) : null;
  if (sub.clientRequestId !== undefined && fingerprint !== null && key.id !== null) {
    const previous = await previousResult(ctx.knex, key.id, sub.clientRequestId, fingerprint);
    if (previous) return previous;
  }

  const expectedAt = computeExpected(service, await ctx.calendars.get(j.id, j.timeZone), now);
  const parent = !location.point
    ? null
    : checked.at && checked.parent !== undefined && samePoint(checked.at, location.point)
      ? checked.parent
      : await findParent(ctx.knex, j.id, service, location.point, now);
  const plan: NewRequest = {
    jurisdictionId: j.id,
    serviceId: service.id,
    agencyId: service.agency?.id ?? null,
    description: sub.description ?? null,
    requestedAt: now,
    expectedAt,
    serviceNotice: parent
      ? parent.isPrivate
        ? 'This problem has already been reported. Your report has been added to it.'
        : `This problem has already been reported as ${parent.id}. Your report has been added to it; you can follow ${parent.id} for progress.`
      : describeResponseLevel(service, expectedAt, j.timeZone),
    parentRequestId: parent?.id ?? null,
    parentStatus: parent ? (parent.detailedStatus as DetailedStatus) : null,
    location,
    mediaUrls: sub.mediaUrls,
    channel: key.channel,
    apiKeyId: key.id,
    actorLabel: key.name,
    attributes,
    clientRequestId: sub.clientRequestId ?? null,
    clientRequestFingerprint: fingerprint,
    contact: sub.contact,
  };

  if (service.type === 'batch') {
    // A token's request is created later by the worker, from the stored submission: files cannot wait.
    if (attach)
      throw badRequest(
        `service_code "${service.serviceCode}" takes requests in batches: send photos as media_url, not as files.`,
      );
    const token = crypto.randomUUID();
    // Concurrent retries with one key: the unique index decides, as for requests; losers answer with the winner.
    const inserted = (await ctx
      .knex('request_tokens')
      .insert({
        token,
        jurisdiction_id: j.id,
        service_id: service.id,
        api_key_id: key.id,
        submission: JSON.stringify(plan),
        client_request_id: plan.clientRequestId,
        created_at: now,
      })
      .onConflict(ctx.knex.raw('(api_key_id, client_request_id) WHERE client_request_id IS NOT NULL'))
      .ignore()
      .returning('token')) as Array<{ token: string }>;
    if (inserted.length === 0 && plan.clientRequestId !== null && fingerprint !== null && key.id !== null) {
      const previous = await previousResult(ctx.knex, key.id, plan.clientRequestId, fingerprint);
      if (previous) return previous;
    }
    return {
      serviceRequestId: null,
      token,
      serviceNotice: plan.serviceNotice,
      accountId: sub.contact.accountId ?? null,
    };
  }

  // One statement, parent's supporters included; with files, in one transaction with their rows.
  const id = attach
    ? await ctx.knex.transaction(async (trx) => {
        const created = await insertRequest(trx, plan);
        if (created !== null) await attach(trx, created);
        return created;
      })
    : await insertRequest(ctx.knex, plan);
  if (id === null && plan.clientRequestId !== null && fingerprint !== null && key.id !== null) {
    // Lost a race with an identical retry: answer with the request that won.
    const previous = await previousResult(ctx.knex, key.id, plan.clientRequestId, fingerprint);
    if (previous) return previous;
  }
  return {
    serviceRequestId: service.type === 'blackbox' ? null : id,
    token: null,
    serviceNotice: plan.serviceNotice,
    accountId: sub.contact.accountId ?? null,
  };
}
