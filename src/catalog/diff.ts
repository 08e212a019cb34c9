/**
 * What changed between two versions of a service document, as short sentences for the version history
 * and the import plan. An empty list means "nothing changed" (a re-imported export writes nothing).
 */
import type { AttributeDoc, ServiceDoc } from './document';

const show = (v: unknown): string => JSON.stringify(v);
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

const FIELDS = [
  'service_name',
  'description',
  'type',
  'keywords',
  'groups',
  'agency_code',
  'response_level',
  'active',
  'residents_can_reopen',
] as const;

function attributeChanges(before: AttributeDoc, after: AttributeDoc): string[] {
  const out: string[] = [];
  for (const k of Object.keys(after) as Array<keyof AttributeDoc>) {
    if (k === 'values') continue;
    if (!same(before[k], after[k]))
      out.push(`attribute ${after.code}: ${k} ${show(before[k])} → ${show(after[k])}`);
  }
  const keysBefore = new Map(before.values.map((v) => [v.key, v.name]));
  const keysAfter = new Map(after.values.map((v) => [v.key, v.name]));
  for (const [key, name] of keysAfter) {
    if (!keysBefore.has(key)) out.push(`attribute ${after.code}: value ${show(key)} (${show(name)}) added`);
    else if (keysBefore.get(key) !== name)
      out.push(
        `attribute ${after.code}: value ${show(key)} renamed ${show(keysBefore.get(key))} → ${show(name)}`,
      );
  }
  for (const key of keysBefore.keys())
    if (!keysAfter.has(key)) out.push(`attribute ${after.code}: value ${show(key)} removed`);
  if (out.length === 0 && !same(before.values, after.values))
    out.push(`attribute ${after.code}: values reordered`);
  return out;
}

export function diffService(before: ServiceDoc | null, after: ServiceDoc): string[] {
  if (before === null) return ['created'];
  const out: string[] = [];
  for (const k of FIELDS) {
    if (!same(before[k], after[k])) {
      if (k === 'active') out.push(after.active ? 'reactivated' : 'deactivated');
      else out.push(`${k}: ${show(before[k])} → ${show(after[k])}`);
    }
  }
  const old = new Map(before.attributes.map((a) => [a.code, a]));
  const next = new Map(after.attributes.map((a) => [a.code, a]));
  for (const a of after.attributes) {
    const b = old.get(a.code);
    if (!b) out.push(`attribute ${a.code} added`);
    else out.push(...attributeChanges(b, a));
  }
  for (const b of before.attributes) if (!next.has(b.code)) out.push(`attribute ${b.code} removed`);
  return out;
}
