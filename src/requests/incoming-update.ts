/**
 * POST servicerequestupdates (issue #16), as FixMyStreet uses it: any status, in any order, retried at will.
 * Staff keys keep full control of the status. A client key (a front end posting its residents' comments)
 * follows the resident rules in `residentChange`. Every update gets the server's own id (its history row);
 * the caller's update_id is only an idempotency key, scoped to its API key.
 */
import type { Knex } from 'knex';
import { badRequest, notFound } from '../core';
import { recordChange, type Actor } from './record';
import { canonicalRequestId } from './ids';
import { applyStatus, lockRequest, mirrorNote, touchPublic, type LockedRequest } from './status';
import { isDetailedStatus, statusOf, type DetailedStatus } from './statuses';

export interface IncomingUpdate {
  serviceRequestId: string;
  updateId: string;
  status: string; // upper case on the wire: OPEN, CLOSED, FIXED, IN_PROGRESS, REOPEN...
  updatedAt: Date;
  description: string;
  mediaUrl: string | null;
}

export interface UpdatePoster {
  actor: Actor;
  apiKeyId: number | null;
  /** A client key: the resident rules apply. */
  resident: boolean;
  /** Whether residents may reopen closed requests of a service (catalog's per-service switch). */
  residentsCanReopen: (serviceId: number) => Promise<boolean>;
  /** Work in the update's transaction, given its history row (uploaded files: src/media commits them). */
  attach?: (trx: Knex.Transaction, ref: { requestId: string; historyId: string }) => Promise<void>;
}

/** What an update does: a status to move to, or null to keep it as a comment (with why, for the trail). */
interface Decision {
  to: DetailedStatus | null;
  why?: string;
}

/** Staff: the status they send, except a no-op; OPEN on a closed request reopens it (FixMyStreet's way). */
export function staffChange(current: DetailedStatus, wanted: DetailedStatus): Decision {
  const to: DetailedStatus = statusOf(current) === 'closed' && wanted === 'open' ? 'reopen' : wanted;
  if (to === current) return { to: null };
  // Closing a closed request again (FixMyStreet re-sends CLOSED/FIXED) is kept as a comment, never a 400.
  if (statusOf(current) === 'closed' && statusOf(to) === 'closed')
    return { to: null, why: `already closed as "${current}"` };
  return { to };
}

/**
 * Residents: FIXED or CLOSED closes an open report, whoever reported it (FixMyStreet lets anyone say a
 * problem is fixed; the history names the key, staff can reopen); REOPEN reopens a closed one where the service
 * allows it; anything else (OPEN sent with every comment, IN_PROGRESS...) is a comment and changes nothing.
 */
export function residentChange(
  current: DetailedStatus,
  wanted: DetailedStatus,
  canReopen: boolean,
): Decision {
  const closed = statusOf(current) === 'closed';
  if (wanted === 'fixed' || wanted === 'closed')
    return closed ? { to: null, why: `already closed as "${current}"` } : { to: wanted };
  if (wanted === 'reopen' && closed)
    return canReopen
      ? { to: 'reopen' }
      : { to: null, why: 'residents cannot reopen requests of this service' };
  if (closed) return { to: null, why: `the request stays closed as "${current}"; send REOPEN to reopen it` };
  return { to: null };
}

async function previous(
  knex: Knex | Knex.Transaction,
  apiKeyId: number,
  clientUpdateId: string,
  requestId: string,
): Promise<string | null> {
  const row = (await knex('request_history')
    .where({ api_key_id: apiKeyId, client_update_id: clientUpdateId })
    .first(knex.raw('id::text AS id'), knex.raw('request_id::text AS request_id'))) as
    { id: string; request_id: string } | undefined;
  if (!row) return null;
  // The request as the retry names it: "0123" is 123, the id the first answer was recorded against.
  if (row.request_id !== (canonicalRequestId(requestId) ?? requestId))
    throw badRequest(
      `update_id "${clientUpdateId}" was already used by this API key for request ${row.request_id}; ` +
        'send a new update_id for each update.',
    );
  return row.id;
}

async function apply(
  trx: Knex.Transaction,
  jurisdictionId: string,
  u: IncomingUpdate,
  wanted: DetailedStatus,
  poster: UpdatePoster,
  canReopen: boolean,
): Promise<string> {
  const r: LockedRequest & { is_private: boolean } = await lockRequest(
    trx,
    jurisdictionId,
    u.serviceRequestId,
    {
      privacy: true,
    },
  );
  // A request of a private service is not public: to a client key it does not exist (the same 404 as an
  // unknown id, so ids cannot be probed), as for GET. Read with the lock: no query of its own.
  if (poster.resident && r.is_private) throw notFound(`service_request_id "${r.id}" was not found.`);
  // An update cannot precede its request (whole seconds: the wire has no fractions); it would also sort
  // before the request's own creation in every history.
  if (u.updatedAt.getTime() < Math.floor(new Date(r.requested_at).getTime() / 1000) * 1000)
    throw badRequest(
      `updated_datetime must not be before the request's requested_datetime (service_request_id "${r.id}").`,
    );
  const decision = poster.resident
    ? residentChange(r.detailed_status, wanted, canReopen)
    : staffChange(r.detailed_status, wanted);
  const { to } = decision;
  // As the staff status route: only a linked report is closed as a duplicate (of its parent).
  if (to === 'duplicate' && !r.parent_request_id)
    throw badRequest(
      `${r.id} is not linked to another request: staff close a request as "duplicate" by linking it and confirming it (POST /staff/v1/requests/${r.id}/link, then …/confirm-duplicate), or by merging it.`,
    );
  // A resident closing their own report asked for no survey; a linked report never closes its parent.
  if (to)
    await applyStatus(trx, r, to, u.description || null, u.updatedAt, poster.actor, {
      surveys: !poster.resident,
    });
  const id = await recordChange(trx, r, u.updatedAt, poster.actor, {
    kind: to ? 'status_change' : 'note',
    public: true,
    detailedStatus: to ?? r.detailed_status,
    summary: to
      ? `Status changed from ${r.detailed_status} to ${to}`
      : `Update (${u.status.toUpperCase()}${decision.why ? `: ${decision.why}` : ''})`,
    description: u.description,
    mediaUrl: u.mediaUrl,
    clientUpdateId: poster.apiKeyId === null ? null : u.updateId,
    apiKeyId: poster.apiKeyId,
  });
  if (poster.attach) await poster.attach(trx, { requestId: r.id, historyId: id });
  await touchPublic(trx, r.id, u.updatedAt);
  if (r.parent_request_id && poster.resident) {
    // Shown on the parent's staff history: what the reporter of a linked report said.
    await recordChange(
      trx,
      { id: r.parent_request_id, jurisdiction_id: jurisdictionId },
      u.updatedAt,
      poster.actor,
      {
        kind: 'note',
        public: false,
        summary:
          to && statusOf(to) === 'closed'
            ? `The reporter of linked report ${r.id} marked it ${to}`
            : `Comment on linked report ${r.id}`,
        description: u.description,
        data: { duplicate_service_request_id: r.id, update_id: id },
      },
    );
  }
  if (!to && !poster.resident && u.description)
    await mirrorNote(trx, r, u.description, poster.actor, u.updatedAt);
  return id;
}

/** Applies an incoming update once and returns the server's update id; a retry returns the first answer. */
export async function postUpdate(
  knex: Knex,
  jurisdictionId: string,
  u: IncomingUpdate,
  poster: UpdatePoster,
): Promise<string> {
  const wanted = u.status.toLowerCase();
  if (!isDetailedStatus(wanted))
    throw badRequest(
      `status "${u.status}" is not a known status (e.g. OPEN, IN_PROGRESS, FIXED, CLOSED, REOPEN).`,
    );
  const key = poster.apiKeyId;
  if (key !== null) {
    const first = await previous(knex, key, u.updateId, u.serviceRequestId);
    if (first !== null) return first;
  }
  // Read before the transaction: the catalog answers from its own connection (one only, on PGlite).
  let canReopen = true;
  if (poster.resident && /^\d{1,18}$/.test(u.serviceRequestId)) {
    const row = (await knex('service_requests')
      .where({ id: u.serviceRequestId, jurisdiction_id: jurisdictionId })
      .first('service_id')) as { service_id: number } | undefined;
    if (row) canReopen = await poster.residentsCanReopen(Number(row.service_id));
  }
  try {
    return await knex.transaction((trx) => apply(trx, jurisdictionId, u, wanted, poster, canReopen));
  } catch (err) {
    // Lost a race with an identical retry (the unique index on key and update_id): answer as the winner did.
    if (key !== null && (err as { code?: string }).code === '23505') {
      const first = await previous(knex, key, u.updateId, u.serviceRequestId);
      if (first !== null) return first;
    }
    throw err;
  }
}
