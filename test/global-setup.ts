import { buildEmbeddedTemplate, buildPostgresTemplate, usePostgres } from './helpers/template';

/** Builds the migrated + demo-loaded template once for the whole run (see helpers/template.ts). */
export default async function globalSetup(): Promise<void> {
  if (usePostgres()) await buildPostgresTemplate();
  else await buildEmbeddedTemplate();
}
