import fc from 'fast-check';
import { DEFAULT_DUPLICATE_RULE, pickParent, type Candidate, type DuplicateRule } from './duplicates';

const NOW = new Date('2026-11-23T15:00:00Z');

const candidate = fc.record({
  id: fc.integer({ min: 100000, max: 999999 }).map(String),
  distanceMetres: fc.double({ min: 0, max: 300, noNaN: true }),
  requestedAt: fc.integer({ min: -400, max: 10 }).map((h) => new Date(NOW.getTime() + h * 3_600_000)),
  detailedStatus: fc.constantFrom('open', 'in_progress', 'fixed', 'duplicate', 'waiting_on_resident'),
});
const rule: fc.Arbitrary<DuplicateRule> = fc.record({
  radiusMetres: fc.integer({ min: 1, max: 200 }),
  windowHours: fc.integer({ min: 1, max: 336 }),
  statuses: fc.constant(DEFAULT_DUPLICATE_RULE.statuses),
  relatedServiceCodes: fc.constant([]),
  enabled: fc.constant(true),
});

describe('pickParent', () => {
  it('when a candidate is outside the radius or the window or not open, then it is never picked', () => {
    fc.assert(
      fc.property(fc.array(candidate, { maxLength: 20 }), rule, (cands, r) => {
        const p = pickParent(cands, r, NOW);
        if (p === null) return;
        expect(p.distanceMetres).toBeLessThanOrEqual(r.radiusMetres);
        expect(NOW.getTime() - p.requestedAt.getTime()).toBeLessThanOrEqual(r.windowHours * 3_600_000);
        expect(p.requestedAt.getTime()).toBeLessThanOrEqual(NOW.getTime());
        expect(r.statuses as string[]).toContain(p.detailedStatus);
      }),
    );
  });

  it('when several candidates qualify, then the nearest is picked', () => {
    fc.assert(
      fc.property(fc.array(candidate, { maxLength: 20 }), rule, (cands, r) => {
        const p = pickParent(cands, r, NOW);
        const eligible = cands.filter(
          (c) =>
            c.distanceMetres <= r.radiusMetres &&
            NOW.getTime() - c.requestedAt.getTime() <= r.windowHours * 3_600_000 &&
            c.requestedAt <= NOW &&
            (r.statuses as string[]).includes(c.detailedStatus),
        );
        if (eligible.length === 0) expect(p).toBeNull();
        else expect(p?.distanceMetres).toBe(Math.min(...eligible.map((c) => c.distanceMetres)));
      }),
    );
  });

  it('when the rule is disabled, then nothing is linked', () => {
    const c: Candidate = { id: '1', distanceMetres: 1, requestedAt: NOW, detailedStatus: 'open' };
    expect(pickParent([c], { ...DEFAULT_DUPLICATE_RULE, enabled: false }, NOW)).toBeNull();
    expect(pickParent([c], DEFAULT_DUPLICATE_RULE, NOW)).toBe(c);
  });
});
