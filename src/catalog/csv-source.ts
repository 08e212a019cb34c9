/**
 * Catalog sources other than the server's own JSON (issue #14): a CSV of services for cities whose catalog
 * lives in a spreadsheet, and a remote Open311 catalog. Neither carries everything a service document
 * has, so each is laid over the stored catalog: a CSV keeps a service's attribute definitions, an Open311
 * import keeps its department and response level. A service missing from the source is then deactivated.
 */
import { parse } from 'csv-parse/sync';
import { AppError } from '../core';
import type { CatalogDoc, CatalogPlaces, ServiceDoc } from './document';

type Obj = Record<string, unknown>;

const COLUMNS: Record<string, string[]> = {
  service_code: ['service_code', 'code'],
  service_name: ['service_name', 'name'],
  group: ['group', 'groups'],
  department: ['department', 'agency', 'agency_code'],
  response_level: ['response_level', 'sla'],
  keywords: ['keywords'],
  description: ['description'],
  type: ['type'],
  residents_can_reopen: ['residents_can_reopen'],
};

const UNITS: Record<string, string> = {
  hour: 'hours',
  hours: 'hours',
  business_hour: 'business_hours',
  business_hours: 'business_hours',
  business_day: 'business_days',
  business_days: 'business_days',
  day: 'calendar_days',
  days: 'calendar_days',
  calendar_day: 'calendar_days',
  calendar_days: 'calendar_days',
};

/** "48 hours", "5 business days", "3 calendar_days" → {value, unit}; '' → null. */
export function parseResponseLevelText(s: string): { value: number; unit: string } | null | undefined {
  const t = s.trim().toLowerCase();
  if (t === '') return null;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z _]+)$/.exec(t);
  const unit = m ? UNITS[(m[2] as string).trim().replace(/\s+/g, '_')] : undefined;
  return m && unit ? { value: Number(m[1]), unit } : undefined;
}

const splitList = (s: string, sep: RegExp) =>
  s
    .split(sep)
    .map((x) => x.trim())
    .filter((x) => x !== '');

const slug = (s: string) =>
  s
    .trim()
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 100) || 'DEPT';

const defaults = (code: string): ServiceDoc => ({
  service_code: code,
  service_name: '',
  description: '',
  type: 'realtime',
  metadata: false,
  keywords: [],
  groups: [],
  agency_code: null,
  response_level: null,
  attributes: [],
  active: true,
  residents_can_reopen: true,
});

/** A CSV's rows with the line each begins on (a quoted cell may span lines; empty lines are skipped). */
function readRows(text: string): Array<{ cells: string[]; line: number }> {
  try {
    // CRLF as LF first: csv-parse counts a CRLF inside a quoted cell as two lines.
    const records = parse(text.replace(/\r\n/g, '\n'), {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      info: true,
      raw: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number }; raw: string }>;
    return records.map((r) => ({
      cells: r.record,
      // `lines` is where the record ends; `raw` holds it (after any skipped empty lines).
      line: r.info.lines - (r.raw.replace(/^\n+|\n+$/g, '').match(/\n/g)?.length ?? 0),
    }));
  } catch (err) {
    throw new AppError(400, `The CSV cannot be read: ${(err as Error).message}`);
  }
}

/**
 * The CSV laid over `current`. Columns (header names, any case): service_code|code, service_name|name,
 * group (several separated by ";" or "|"), department (a code or name; a new name becomes a department),
 * response_level ("48 hours", "5 business days"), keywords (";" or ","), optional description, type and
 * residents_can_reopen (true/false). A column that is absent leaves that field of a stored service as it
 * is (so a CSV without keywords keeps "private"); a column that is present sets it, empty cells included.
 */
export function catalogFromCsv(text: string, current: CatalogDoc): unknown {
  return csvCatalog(text, current).raw;
}

/** catalogFromCsv, with where each service and new department came from (`line 25`) for the messages. */
export function csvCatalog(text: string, current: CatalogDoc): { raw: unknown; places: CatalogPlaces } {
  const records = readRows(text);
  const rows = records.map((r) => r.cells);
  const header = (rows[0] ?? []).map((h) => h.toLowerCase().replace(/\s+/g, '_'));
  const col = (name: string) => header.findIndex((h) => (COLUMNS[name] ?? []).includes(h));
  const at = Object.fromEntries(Object.keys(COLUMNS).map((k) => [k, col(k)]));
  const problems: string[] = [];
  if (at.service_code === -1) problems.push('The CSV needs a service_code (or code) column.');
  if (at.service_name === -1) problems.push('The CSV needs a service_name (or name) column.');
  if (problems.length > 0) throw new AppError(400, problems);

  const agencies = [...current.agencies];
  const agencyLine = new Map<number, number>();
  let line = 0;
  const agencyFor = (value: string): string | null => {
    if (value === '') return null;
    const found =
      agencies.find((a) => a.code === value) ??
      agencies.find((a) => a.name.toLowerCase() === value.toLowerCase());
    if (found) return found.code;
    let code = slug(value);
    while (agencies.some((a) => a.code === code)) code = `${code}_`;
    agencyLine.set(agencies.length, line);
    agencies.push({ code, name: value, email: null, phone: null });
    return code;
  };
  const stored = new Map(current.services.map((s) => [s.service_code, s]));
  const services: Obj[] = [];
  const serviceLines: number[] = [];
  records.slice(1).forEach(({ cells: row, line: rowLine }) => {
    line = rowLine;
    serviceLines.push(rowLine);
    const cell = (name: string) => {
      const c = at[name] as number;
      return c === -1 ? undefined : (row[c] ?? '');
    };
    const code = cell('service_code') ?? '';
    const base: Obj = { ...(stored.get(code) ?? defaults(code)) };
    delete base.metadata;
    base.service_name = cell('service_name') ?? '';
    base.active = true;
    const group = cell('group');
    if (group !== undefined) base.groups = splitList(group, /[;|]/);
    const keywords = cell('keywords');
    if (keywords !== undefined) base.keywords = splitList(keywords, /[;,]/);
    const department = cell('department');
    if (department !== undefined) base.agency_code = agencyFor(department);
    const level = cell('response_level');
    if (level !== undefined) {
      const parsed = parseResponseLevelText(level);
      if (parsed === undefined)
        problems.push(
          `line ${line} (${code}): response_level "${level}" is not like "48 hours" or "5 business days".`,
        );
      else base.response_level = parsed;
    }
    const description = cell('description');
    if (description !== undefined) base.description = description;
    const type = cell('type');
    if (type) base.type = type.toLowerCase();
    const reopen = cell('residents_can_reopen')?.toLowerCase();
    if (reopen === 'true' || reopen === 'yes') base.residents_can_reopen = true;
    else if (reopen === 'false' || reopen === 'no') base.residents_can_reopen = false;
    else if (reopen)
      problems.push(`line ${line} (${code}): residents_can_reopen "${reopen}" must be true or false.`);
    services.push(base);
  });
  if (problems.length > 0) throw new AppError(400, problems);
  return {
    raw: { agencies, services },
    places: {
      service: (i) => (serviceLines[i] === undefined ? undefined : `line ${serviceLines[i]}`),
      agency: (i) => {
        const at = agencyLine.get(i);
        return at === undefined ? undefined : `line ${at} department`;
      },
    },
  };
}

/** A remote Open311 catalog laid over `current`: departments and response levels stay as stored. */
export function catalogFromOpen311(remote: Obj[], current: CatalogDoc): unknown {
  const stored = new Map(current.services.map((s) => [s.service_code, s]));
  return {
    agencies: current.agencies,
    services: remote.map((r) => {
      const old = stored.get(String(r.service_code));
      const base: Obj = { ...(old ?? defaults(String(r.service_code))), ...r, active: true };
      delete base.metadata;
      return base;
    }),
  };
}
