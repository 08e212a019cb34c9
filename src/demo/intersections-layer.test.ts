import { medianIntersections } from './intersections-layer';

describe('medianIntersections', () => {
  it('when a name is reported several times, then its point is the median of the reports', () => {
    const at = (lat: number, long: number, location = 'INTERSECTION Boylston St & Dartmouth St') => ({
      location,
      lat,
      long,
      zip: null,
    });
    const layer = medianIntersections([
      at(42.3501, -71.0773),
      at(42.3501, -71.0773),
      at(42.36, -71.0), // one misplaced report does not move it
      at(42.3, -71.1, 'INTERSECTION of Centre St & Washington St'),
      at(42.3, -71.1, '29 Hereford St'),
    ]);
    expect(layer).toEqual([
      { streetA: 'Boylston St', streetB: 'Dartmouth St', lat: 42.3501, long: -71.0773, zip: null },
      { streetA: 'Centre St', streetB: 'Washington St', lat: 42.3, long: -71.1, zip: null },
    ]);
  });
});
