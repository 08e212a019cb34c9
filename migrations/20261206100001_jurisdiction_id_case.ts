import type { Knex } from 'knex';

/**
 * Jurisdiction ids are compared without regard to case: `BOSTON.gov` may not be created beside `boston.gov`
 * (GeoReport calls resolve `jurisdiction_id=Boston.gov` to `boston.gov`, which needs at most one match).
 * A database that already holds two such ids is not changed: the migration stops and names them, for the
 * operator to merge or rename one first.
 */
export async function up(knex: Knex): Promise<void> {
  const clashes = (
    (await knex.raw(
      "SELECT string_agg(id, ', ' ORDER BY id) AS ids FROM jurisdictions GROUP BY lower(id) HAVING count(*) > 1",
    )) as { rows: Array<{ ids: string }> }
  ).rows;
  if (clashes.length > 0)
    throw new Error(
      `Jurisdiction ids that differ only in case cannot both stay: ${clashes.map((c) => c.ids).join('; ')}. ` +
        'Rename or remove one of each before migrating.',
    );
  await knex.raw('CREATE UNIQUE INDEX jurisdictions_id_lower ON jurisdictions (lower(id))');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX jurisdictions_id_lower');
}
