import { createCache } from '../cache';
import { forgetValidator, validateAttributes, type Validators } from './attribute-validation';
import type { Service, ServiceAttribute } from './types';

const attr = (
  a: Partial<ServiceAttribute> & Pick<ServiceAttribute, 'code' | 'datatype'>,
): ServiceAttribute => ({
  variable: true,
  required: false,
  datatypeDescription: null,
  order: 1,
  description: '',
  values: [],
  ...a,
});

function service(attributes: ServiceAttribute[], version = 1): Service {
  return {
    id: 7,
    jurisdictionId: 'test',
    serviceCode: 'POTHOLE',
    serviceName: 'Pothole',
    description: '',
    type: 'realtime',
    keywords: [],
    groups: [],
    agency: null,
    sla: null,
    isPrivate: false,
    active: true,
    version,
    attributes,
  };
}

const SIZE = attr({
  code: 'SIZE',
  datatype: 'singlevaluelist',
  required: true,
  description: 'How big?',
  values: [
    { key: 'S', name: 'Small' },
    { key: 'L', name: 'Large' },
  ],
});
const DEPTH = attr({ code: 'DEPTH', datatype: 'number' });
const SEEN = attr({ code: 'SEEN', datatype: 'datetime' });
const WHERE = attr({
  code: 'WHERE',
  datatype: 'multivaluelist',
  values: [
    { key: 'road', name: 'Road' },
    { key: 'kerb', name: 'Kerb' },
  ],
});
const NOTE = attr({ code: 'NOTE', datatype: 'text', variable: false, required: true });

const newValidators = (): Validators =>
  createCache(() => new Date(0), { max: 10, ttlMs: 60_000, dispose: forgetValidator });

describe('validateAttributes', () => {
  const s = service([SIZE, DEPTH, SEEN, WHERE, NOTE]);

  it('when form strings are sent, then they are coerced to the datatype and lists become arrays', () => {
    const r = validateAttributes(s, { SIZE: 'L', DEPTH: '12.5', WHERE: 'road' }, newValidators());
    expect(r).toEqual({ ok: true, values: { SIZE: 'L', DEPTH: 12.5, WHERE: ['road'] } });
  });

  it('when a required attribute is missing, then the problem names it with its description', () => {
    const r = validateAttributes(s, {}, newValidators());
    expect(r).toEqual({ ok: false, problems: ['attribute[SIZE] ("How big?") is required for POTHOLE.'] });
  });

  it('when an informational (variable=false) attribute is required, then it is never asked for', () => {
    const r = validateAttributes(service([NOTE]), {}, newValidators());
    expect(r.ok).toBe(true);
  });

  it('when several values are wrong, then every problem is listed once', () => {
    const r = validateAttributes(
      s,
      { SIZE: 'XL', DEPTH: 'deep', SEEN: 'yesterday', WHERE: ['road', 'road'] },
      newValidators(),
    );
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.problems).toEqual(
      expect.arrayContaining([
        'attribute[SIZE] ("How big?") must be one of: S, L.',
        'attribute[DEPTH] must be a number.',
        'attribute[SEEN] must be an ISO 8601 date and time, e.g. 2026-11-22T14:03:00-05:00.',
        'attribute[WHERE] lists the same value twice.',
      ]),
    );
  });

  it('when a number is not written in decimal (hex, binary, an object, a list of two), then it is refused; decimal forms pass', () => {
    for (const DEPTH of ['0x1F', '0b11', '0o7', 'Infinity', '1_000', { a: '1' }, ['1', '2'], true]) {
      const r = validateAttributes(s, { SIZE: 'S', DEPTH } as never, newValidators());
      expect([DEPTH, r]).toEqual([DEPTH, { ok: false, problems: ['attribute[DEPTH] must be a number.'] }]);
    }
    for (const [DEPTH, value] of [
      ['12', 12],
      [' -1.5 ', -1.5],
      ['.5', 0.5],
      ['3e2', 300],
      [['7'], 7],
    ] as const) {
      const r = validateAttributes(s, { SIZE: 'S', DEPTH } as never, newValidators());
      expect(r).toEqual({ ok: true, values: { SIZE: 'S', DEPTH: value } });
    }
  });

  it('when a client sends codes the service does not define, then they are dropped, not refused', () => {
    const r = validateAttributes(s, { SIZE: 'S', fms_extra: 'x' }, newValidators());
    expect(r).toEqual({ ok: true, values: { SIZE: 'S' } });
  });

  it('when the definition changes version, then a new validator is compiled and the old one kept apart', () => {
    const validators = newValidators();
    expect(validateAttributes(s, { SIZE: 'S' }, validators).ok).toBe(true);
    const renamed = service([{ ...SIZE, values: [{ key: 'XS', name: 'Tiny' }] }], 2);
    expect(validateAttributes(renamed, { SIZE: 'S' }, validators).ok).toBe(false);
    expect(validateAttributes(renamed, { SIZE: 'XS' }, validators).ok).toBe(true);
    expect([...validators.keys()].sort()).toEqual(['7:1', '7:2']);
  });
});
