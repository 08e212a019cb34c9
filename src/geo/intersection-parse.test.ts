import fc from 'fast-check';
import { parseIntersection } from './intersection-parse';

const BD = ['BOYLSTON ST', 'DARTMOUTH ST'];

describe('parseIntersection', () => {
  it.each([
    ['INTERSECTION of Boylston St & Dartmouth St  Boston  MA', BD],
    ['Boylston St & Dartmouth St', BD],
    ['Boylston Street and Dartmouth Street', BD],
    ['boylston and dartmouth', ['BOYLSTON', 'DARTMOUTH']],
    ['corner of Boylston and Dartmouth', ['BOYLSTON', 'DARTMOUTH']],
    ['at the corner of Boylston St. & Dartmouth St.', BD],
    ['Dartmouth St at Boylston St', ['DARTMOUTH ST', 'BOYLSTON ST']],
    ['Boylston / Dartmouth', ['BOYLSTON', 'DARTMOUTH']],
    ['Boylston St @ Dartmouth St', BD],
    ['BOYLSTON ST & DARTMOUTH ST, Boston, MA 02116', BD],
    ['Malcolm X Blvd and Washington St', ['MALCOLM X BLVD', 'WASHINGTON ST']],
  ])('when %j is parsed, then the streets are %j', (text, streets) => {
    expect(parseIntersection(text)?.streets).toEqual(streets);
  });

  it('when a zip or a place follows, then it is kept for choosing between meetings', () => {
    expect(parseIntersection('Boylston St & Dartmouth St, Boston, MA 02116')).toMatchObject({ zip: '02116' });
    expect(parseIntersection('Centre St & Washington St, Jamaica Plain')?.place).toEqual([
      'JAMAICA',
      'PLAIN',
    ]);
  });

  it.each(['29 Hereford St', 'Hereford St', 'A & B & C', 'Boylston St & Boylston St', '', ' & '])(
    'when %j is parsed, then it is not an intersection',
    (text) => {
      expect(parseIntersection(text)).toBeNull();
    },
  );

  it('when any text is parsed, then it never throws and gives two different streets or null', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        const p = parseIntersection(s);
        if (p) expect(p.streets[0]).not.toBe(p.streets[1]);
      }),
      { numRuns: 300 },
    );
  });
});
