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
      at(42.3502, -71.0774), // a report a few metres off does not move it
      at(42.3, -71.1, 'INTERSECTION of Centre St & Washington St'),
      at(42.3, -71.1, '29 Hereford St'),
    ]);
    expect(layer).toEqual([
      { streetA: 'Boylston St', streetB: 'Dartmouth St', lat: 42.3501, long: -71.0773, zip: null },
      { streetA: 'Centre St', streetB: 'Washington St', lat: 42.3, long: -71.1, zip: null },
    ]);
  });

  it('when one name is reported at two places far apart, then each place is its own intersection', () => {
    const at = (lat: number, long: number) => ({
      location: 'INTERSECTION Arlington St & Providence St',
      lat,
      long,
      zip: null,
    });
    const layer = medianIntersections([at(42.3514, -71.0704), at(42.3514, -71.0704), at(42.2633, -71.123)]);
    expect(layer.map((r) => [r.lat, r.long])).toEqual([
      [42.3514, -71.0704],
      [42.2633, -71.123],
    ]);
  });
});
