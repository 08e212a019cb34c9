import { editDistance, ordinalTypos, STREET_CONFIDENT, streetScore } from './streets';

describe('streetScore: the street is settled before the number', () => {
  it.each([
    ['HEREFORD ST', 'HEREFORD ST'],
    ['HEREFORD', 'HEREFORD ST'],
    ['HYDE PARK', 'HYDE PARK AVE'],
    ['WASHINGTON ST', 'N WASHINGTON ST'],
    ['HERFORD ST', 'HEREFORD ST'],
    ['COMMONWEALTH AVE', 'COMMONWEALHT AVE'],
    ['BLUE HIL AVE', 'BLUE HILL AVE'],
    ['E FOURRTH ST', 'E 4TH ST'],
    ['W SECOOND ST', 'W 2ND ST'],
  ])('when %j is written, then %j is a confident street', (wanted, street) => {
    expect(streetScore(wanted, street)).toBeGreaterThanOrEqual(STREET_CONFIDENT);
  });

  it.each([
    ['CLARENDON AVE', 'CLARENDON ST'],
    ['WASHINGTON AVE', 'WASHINGTON ST'],
    ['N WASHINGTON ST', 'S WASHINGTON ST'],
    ['D ST', 'E ST'],
    ['BACON ST', 'MACON ST'],
    ['CLARENDON ST', 'CLARE AVE'],
    ['E FOURRTH ST', 'W 4TH ST'],
    ['E FOURRTH ST', 'E 14TH ST'],
  ])('when %j is written, then %j is never a confident street', (wanted, street) => {
    expect(streetScore(wanted, street, 0.9)).toBeLessThan(STREET_CONFIDENT);
  });

  it('when the exact street exists, then it outranks a near one', () => {
    expect(streetScore('WASHINGTON ST', 'WASHINGTON ST')).toBeGreaterThan(
      streetScore('WASHINGTON ST', 'N WASHINGTON ST'),
    );
  });

  it('ordinalTypos turns a misspelt ordinal word into its number, and nothing else', () => {
    expect(ordinalTypos('E FOURRTH ST')).toBe('E 4TH ST');
    expect(ordinalTypos('W SECOOND')).toBe('W 2ND');
    expect(ordinalTypos('E FOURTH ST')).toBe('E FOURTH ST'); // spelt right: the normaliser's job
    expect(ordinalTypos('FORTUNE ST')).toBe('FORTUNE ST');
    expect(ordinalTypos('HEREFORD ST')).toBe('HEREFORD ST');
  });

  it('editDistance counts a swap as one', () => {
    expect(editDistance('HEREFORD', 'HERFEORD')).toBe(1);
    expect(editDistance('ABC', 'ABC')).toBe(0);
    expect(editDistance('ABCDEFG', 'A', 2)).toBe(3);
  });
});
