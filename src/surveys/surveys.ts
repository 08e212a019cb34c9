/**
 * Satisfaction surveys (issue #8, Kansas City practice): when a request closes, its reporter (if they left
 * an e-mail or phone) gets a one-time link to rate the service and its timeliness from 1 to 5. The token
 * is a bearer secret: only its hash is stored. Sending is the city's: a `survey.created` event carries the
 * link and the contact to the webhook receivers the city configured (the only place contact data leaves).
 */
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { AppError, notFound, Problems } from '../core';
import { emit } from '../notify';

const hash = (token: string) => crypto.createHash('sha256').update(token).digest('hex');

export async function createSurvey(
  trx: Knex.Transaction,
  requestId: string,
  jurisdictionId: string,
  at: Date,
): Promise<string | null> {
  const contact = (await trx('request_contacts').where('request_id', requestId).first('email', 'phone')) as
    { email: string | null; phone: string | null } | undefined;
  if (!contact?.email && !contact?.phone) return null;
  const token = crypto.randomBytes(24).toString('base64url');
  const inserted = (await trx('surveys')
    .insert({
      request_id: requestId,
      jurisdiction_id: jurisdictionId,
      token_hash: hash(token),
      created_at: at,
    })
    .onConflict('request_id')
    .ignore()
    .returning('id')) as unknown[];
  if (inserted.length === 0) return null; // asked once per request, even if it is closed again
  await emit(trx, {
    type: 'survey.created',
    requestId,
    at,
    data: { survey_path: `/surveys/${token}`, contact: { email: contact.email, phone: contact.phone } },
  });
  return token;
}

export interface SurveyView {
  service_request_id: string;
  service_name: string;
  answered: boolean;
  expired: boolean;
}

interface SurveyRow {
  id: number;
  request_id: string;
  service_name: string;
  created_at: Date;
  answered_at: Date | null;
}

async function find(knex: Knex, token: string): Promise<SurveyRow> {
  const row =
    token.length > 100
      ? undefined
      : ((await knex('surveys as v')
          .join('service_requests as r', 'r.id', 'v.request_id')
          .join('services as s', 's.id', 'r.service_id')
          .where('v.token_hash', hash(token))
          .first(
            'v.id',
            knex.raw('v.request_id::text AS request_id'),
            's.service_name',
            'v.created_at',
            'v.answered_at',
          )) as SurveyRow | undefined);
  if (!row) throw notFound('This survey link is not valid.');
  return row;
}

const ANSWERED = 'This survey has already been answered. Thank you!';

const isExpired = (row: SurveyRow, now: Date, ttlDays: number) =>
  now.getTime() - row.created_at.getTime() > ttlDays * 86_400_000;

export async function readSurvey(knex: Knex, token: string, now: Date, ttlDays: number): Promise<SurveyView> {
  const row = await find(knex, token);
  return {
    service_request_id: row.request_id,
    service_name: row.service_name,
    answered: row.answered_at !== null,
    expired: isExpired(row, now, ttlDays),
  };
}

function rating(value: unknown, name: string, problems: Problems): number | null {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d+$/.test(value.trim())
        ? Number(value)
        : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 5) {
    problems.add(`${name} must be a whole number from 1 to 5.`);
    return null;
  }
  return n;
}

/**
 * Records the answer once: an unknown link is 404, an expired one 410, a second answer 409, each before
 * the answer is judged (as GET /surveys/{token} tells them apart); then a rating outside 1–5 is a 400.
 */
export async function answerSurvey(
  knex: Knex,
  token: string,
  input: Record<string, unknown>,
  now: Date,
  ttlDays: number,
): Promise<void> {
  const row = await find(knex, token);
  if (isExpired(row, now, ttlDays)) throw new AppError(410, 'This survey has expired.');
  if (row.answered_at !== null) throw new AppError(409, ANSWERED);
  const problems = new Problems();
  const service = rating(input.service_rating, 'service_rating', problems);
  const timeliness = rating(input.timeliness_rating, 'timeliness_rating', problems);
  if (input.comment !== undefined && input.comment !== null && typeof input.comment !== 'string')
    problems.add('comment must be text.');
  const comment = typeof input.comment === 'string' ? input.comment.trim() : '';
  if (comment.length > 2000) problems.add('comment is too long (at most 2000 characters).');
  problems.throwIfAny();
  const n = await knex('surveys')
    .where({ id: row.id })
    .whereNull('answered_at')
    .update({
      answered_at: now,
      service_rating: service,
      timeliness_rating: timeliness,
      comment: comment === '' ? null : comment,
    });
  if (n === 0) throw new AppError(409, ANSWERED); // answered meanwhile
}
