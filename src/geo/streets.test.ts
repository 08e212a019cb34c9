import { editDistance, STREET_CONFIDENT, streetScore } from './streets';

describe('streetScore: the street is settled before the number', () => {
  it.each([
    ['HEREFORD ST', 'HEREFORD ST'],
    ['HEREFORD', 'HEREFORD ST'],
    ['HYDE PARK', 'HYDE PARK AVE'],
    ['WASHINGTON ST', 'N WASHINGTON ST'],
    ['HERFORD ST', 'HEREFORD ST'],
    ['COMMONWEALTH AVE', 'COMMONWEALHT AVE'],
    ['BLUE HIL AVE', 'BLUE HILL AVE'],
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
  ])('when %j is written, then %j is never a confident street', (wanted, street) => {
    expect(streetScore(wanted, street, 0.9)).toBeLessThan(STREET_CONFIDENT);
  });

  it('when the exact street exists, then it outranks a near one', () => {
    expect(streetScore('WASHINGTON ST', 'WASHINGTON ST')).toBeGreaterThan(
      streetScore('WASHINGTON ST', 'N WASHINGTON ST'),
    );
  });

  it('editDistance counts a swap as one', () => {
    expect(editDistance('HEREFORD', 'HERFEORD')).toBe(1);
    expect(editDistance('ABC', 'ABC')).toBe(0);
    expect(editDistance('ABCDEFG', 'A', 2)).toBe(3);
  });
});
