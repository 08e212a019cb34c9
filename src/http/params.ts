/**
 * Reading query and body parameters the Open311 way: an empty value is absent, a repeated scalar takes
 * its first value (lists and typed query parameters: http/validation.ts `queryInput`).
 */
import type { Problems } from '../core';

export type RawParams = Record<string, unknown>;

export function scalar(params: RawParams, name: string): string | undefined {
  let v = params[name];
  if (Array.isArray(v)) v = v.find((x) => typeof x === 'string' && x.trim() !== '');
  if (typeof v === 'number' || typeof v === 'boolean') v = String(v);
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

export function number(
  params: RawParams,
  name: string,
  problems: Problems,
  range: { min: number; max: number; integer?: boolean },
): number | undefined {
  const raw = scalar(params, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (
    !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw) ||
    !Number.isFinite(n) ||
    n < range.min ||
    n > range.max ||
    (range.integer && !Number.isInteger(n))
  ) {
    problems.add(
      `${name} must be ${range.integer ? 'a whole number' : 'a number'} from ${range.min} to ${range.max} (got "${raw.slice(0, 40)}").`,
    );
    return undefined;
  }
  return n;
}
