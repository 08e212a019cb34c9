/**
 * Privacy is the keyword "private" (services.is_private is generated from it), so a write that drops the
 * keyword from a service publishes every request the service holds, personal text included, at once and for
 * good. Every write that can change a service's keywords (the catalog import, the admin service PUT) goes
 * through `guardPublishing`: never without a yes.
 */
import type { Knex } from 'knex';
import { AppError } from '../core';
import { isPrivateService, type ServiceDoc } from './document';
import type { Service } from './types';

/** A private service a write makes public, and how many requests it holds (the ones that would be published). */
export interface MadePublic {
  service_code: string;
  requests: number;
}

export interface PublishingOptions {
  /** What makes the service public, for the sentences: a catalog import, or a change of one service. */
  by: 'import' | 'change';
  /** The caller confirmed (`publish_private=true`, CLI `--publish-private`), or it is a dry run. */
  confirmed: boolean;
}

const WORDS = {
  import: {
    makes: 'this import makes it public',
    refused: 'Refused, nothing was imported',
    hint:
      'Keep "private" in the keywords of each service that must stay private (a CSV without a keywords ' +
      'column keeps them), or confirm with publish_private=true (CLI: --publish-private).',
  },
  change: {
    makes: 'this change makes it public',
    refused: 'Refused, nothing was saved',
    hint: 'Keep "private" in the keywords if the service must stay private, or confirm with ?publish_private=true.',
  },
} as const;

/**
 * The private services (stored `before`) that `after` makes public and that hold requests, with their counts,
 * and one sentence each for the warnings. A service without requests publishes nothing and changes freely.
 * Unless `confirmed`, any such service is a 400 naming each one and its requests (the write is refused
 * before anything is written; the caller runs this inside its transaction, before writing).
 *
 * The count cannot miss a request being written: the rows of the services made public are locked FOR
 * UPDATE, and privacy is read again under the lock, before counting. Writing a request (or a batch token)
 * locks its service's row FOR KEY SHARE until it commits (PostgreSQL's check of the service_id foreign
 * key), which FOR UPDATE waits for: a request in flight is counted, and one written later waits for this
 * write and is created under the service as this write leaves it. The hot path pays nothing for this.
 * Batch tokens not yet turned into requests count as requests.
 */
export async function guardPublishing(
  trx: Knex | Knex.Transaction,
  changes: ReadonlyArray<{ before: Service | null | undefined; after: Pick<ServiceDoc, 'keywords'> }>,
  opts: PublishingOptions,
): Promise<{ madePublic: MadePublic[]; sentences: string[] }> {
  const candidates: Service[] = [];
  for (const { before, after } of changes)
    if (before?.isPrivate === true && !isPrivateService(after)) candidates.push(before);
  if (candidates.length === 0) return { madePublic: [], sentences: [] };
  const locked = (await trx('services')
    .whereIn(
      'id',
      candidates.map((s) => s.id),
    )
    .forUpdate()
    .select('id', 'is_private')) as Array<{ id: number | string; is_private: boolean }>;
  const stillPrivate = new Set(locked.filter((r) => r.is_private).map((r) => Number(r.id)));
  const published = candidates.filter((s) => stillPrivate.has(Number(s.id)));
  if (published.length === 0) return { madePublic: [], sentences: [] };
  const counts = (await trx.raw(
    `SELECT service_id, sum(n)::int AS n FROM (
       SELECT service_id, count(*) AS n FROM service_requests WHERE service_id = ANY(?::bigint[]) GROUP BY service_id
       UNION ALL
       SELECT service_id, count(*) FROM request_tokens
       WHERE processed_at IS NULL AND service_id = ANY(?::bigint[]) GROUP BY service_id) c
     GROUP BY service_id`,
    [published.map((s) => s.id), published.map((s) => s.id)],
  )) as { rows: Array<{ service_id: number | string; n: number }> };
  const count = new Map(counts.rows.map((c) => [Number(c.service_id), Number(c.n)]));
  const madePublic = published
    .map((s) => ({ service_code: s.serviceCode, requests: count.get(Number(s.id)) ?? 0 }))
    .filter((p) => p.requests > 0);
  const words = WORDS[opts.by];
  const sentences = madePublic.map(
    (p) =>
      `service "${p.service_code}" is private (keyword "private") and ${words.makes}: ` +
      `its ${p.requests} request(s), with their descriptions and addresses, would appear in every public ` +
      'list, export and the dashboard. Publishing cannot be undone.',
  );
  if (madePublic.length > 0 && !opts.confirmed)
    throw new AppError(400, [...sentences.map((t) => `${words.refused}: ${t}`), words.hint]);
  return { madePublic, sentences };
}
