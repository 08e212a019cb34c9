/**
 * Reading query and body parameters the Open311 way: an empty value is absent, a repeated scalar takes
 * its first value, and lists are comma-separated (repeats are joined).
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

export function list(params: RawParams, name: string, max: number, problems: Problems): string[] | undefined {
  const raw = params[name];
  const parts = (Array.isArray(raw) ? raw : [raw])
    .filter((x): x is string => typeof x === 'string')
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter((x) => x !== '');
  if (parts.length === 0) return undefined;
  if (parts.length > max) {
    problems.add(`${name} lists ${parts.length} values; at most ${max} are allowed.`);
    return undefined;
  }
  return [...new Set(parts)];
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

export function boolean(params: RawParams, name: string, problems: Problems): boolean | undefined {
  const raw = scalar(params, name)?.toLowerCase();
  if (raw === undefined) return undefined;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  problems.add(`${name} must be true or false.`);
  return undefined;
}
