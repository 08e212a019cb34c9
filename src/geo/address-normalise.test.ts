import fc from 'fast-check';
import { normaliseAddress, normaliseStreet, parseAddress } from './address-normalise';

describe('normaliseAddress', () => {
  it.each([
    ['29 Hereford St', '29 HEREFORD ST'],
    ['29 hereford street', '29 HEREFORD ST'],
    ['29 Hereford St.', '29 HEREFORD ST'],
    ['  29   HEREFORD   STREET  ', '29 HEREFORD ST'],
    ['29 Hereford Street, Boston, MA 02115', '29 HEREFORD ST'],
    ['29 Hereford St Boston MA 02115', '29 HEREFORD ST BOSTON'],
    ['1 City Hall Square', '1 CITY HALL SQ'],
    ['1 City Hall Sq, Boston', '1 CITY HALL SQ'],
    ['175 North Harvard Street', '175 N HARVARD ST'],
    ['175 N. Harvard St', '175 N HARVARD ST'],
    ['10 Commonwealth Avenue, Boston, MA 02116', '10 COMMONWEALTH AVE'],
    ['10 Commonwealth Ave', '10 COMMONWEALTH AVE'],
    ['350 Massachusetts Ave Apt 3', '350 MASSACHUSETTS AVE'],
    ['350 Massachusetts Avenue, Apartment 3', '350 MASSACHUSETTS AVE'],
    ['45 Saint James Ave #200', '45 SAINT JAMES AVE'],
    ['45 Saint James Avenue Suite 200', '45 SAINT JAMES AVE'],
    ['10-12 Park St', '10-12 PARK ST'],
    ['10 - 12 Park Street', '10-12 PARK ST'],
    ['12 1/2 Elm St', '12 1/2 ELM ST'],
    ['29A Hereford St', '29A HEREFORD ST'],
    ['10 North St', '10 NORTH ST'],
    ['10 Park', '10 PARK'],
    ['5 Boston St', '5 BOSTON ST'],
    ['100 Blue Hill Avenue', '100 BLUE HILL AVE'],
    ['100 Blue Hill Av', '100 BLUE HILL AVE'],
    ['1 Seaport Boulevard', '1 SEAPORT BLVD'],
    ['20 Harbor Point Blvd', '20 HARBOR POINT BLVD'],
    ['8 Old Colony Terrace', '8 OLD COLONY TER'],
    ['8 Old Colony Terr', '8 OLD COLONY TER'],
    ['77 Mass Pike Highway', '77 MASS PIKE HWY'],
    ['3 Court Place', '3 COURT PL'],
    ['3 Court Pl.', '3 COURT PL'],
    ['2 Long Wharf', '2 LONG WHARF'],
    ['60 Dorchester Ave Extension', '60 DORCHESTER AVE EXT'],
    ['9 Café Road', '9 CAFE RD'],
    ['Hereford St', 'HEREFORD ST'],
    ['', ''],
    ['!!!', ''],
    ['☕️', ''],
    ['99 A & B Street', '99 A AND B ST'],
    ['500 East Broadway', '500 E BROADWAY'],
    ['500 E Broadway, South Boston, MA 02127-1234', '500 E BROADWAY'],
  ])('when %j is normalised, then it is %j', (input, key) => {
    expect(normaliseAddress(input)).toBe(key);
  });

  it('when an address has a unit and a zip, then parseAddress returns them apart', () => {
    expect(parseAddress('350 Massachusetts Ave Apt 3, Boston, MA 02115')).toEqual({
      houseNumber: '350',
      street: 'MASSACHUSETTS AVE',
      unit: 'APT 3',
      zip: '02115',
    });
    expect(parseAddress('45 Saint James Ave #200')).toEqual({
      houseNumber: '45',
      street: 'SAINT JAMES AVE',
      unit: '# 200',
      zip: null,
    });
  });

  it('when only a street is normalised, then suffix and directional are abbreviated', () => {
    expect(normaliseStreet('North Washington Street')).toBe('N WASHINGTON ST');
  });
});

const SUFFIX_SPELLINGS: Record<string, string[]> = {
  ST: ['St', 'Street', 'st.', 'STREET', 'Str'],
  AVE: ['Ave', 'Avenue', 'Av', 'ave.'],
  RD: ['Rd', 'Road', 'rd.'],
  SQ: ['Sq', 'Square'],
};
const DIRECTIONAL_SPELLINGS: Record<string, string[]> = {
  N: ['N', 'North', 'N.'],
  S: ['S', 'South'],
  E: ['E', 'East'],
  W: ['W', 'West'],
};

describe('properties', () => {
  it('when any text is normalised twice, then nothing more changes, and nothing throws', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.constantFrom('29 Hereford St', '10-12 Park St Apt 3'),
        ),
        (s) => {
          const once = normaliseAddress(s);
          expect(normaliseAddress(once)).toBe(once);
        },
      ),
    );
  });

  it('when one address is spelt in many ways, then every spelling gives the same key', () => {
    const name = fc.constantFrom('Hereford', 'Washington', 'Blue Hill', 'Centre', 'Saint James');
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9999 }),
        fc.option(fc.constantFrom(...Object.keys(DIRECTIONAL_SPELLINGS)), { nil: undefined }),
        name,
        fc.constantFrom(...Object.keys(SUFFIX_SPELLINGS)),
        fc.record({
          dirIx: fc.nat(),
          sufIx: fc.nat(),
          upper: fc.boolean(),
          spaces: fc.integer({ min: 1, max: 3 }),
          unit: fc.option(fc.constantFrom('Apt 3', '#12', 'Unit B', 'Suite 200'), { nil: undefined }),
          city: fc.option(fc.constantFrom(', Boston, MA 02115', ', Boston', ' 02116', ', MA 02118-1234'), {
            nil: undefined,
          }),
        }),
        (n, dir, street, suffix, v) => {
          const canonical = `${n} ${dir ? `${dir} ` : ''}${street.toUpperCase()} ${suffix}`;
          const dirSpelling = dir ? (DIRECTIONAL_SPELLINGS[dir] as string[])[v.dirIx % 2] : undefined;
          const sufSpelling = (SUFFIX_SPELLINGS[suffix] as string[])[
            v.sufIx % (SUFFIX_SPELLINGS[suffix] as string[]).length
          ];
          const gap = ' '.repeat(v.spaces);
          let text = [String(n), dirSpelling, street, sufSpelling].filter(Boolean).join(gap);
          if (v.unit) text += ` ${v.unit}`;
          if (v.city) text += v.city;
          if (v.upper) text = text.toUpperCase();
          expect(normaliseAddress(text)).toBe(normaliseAddress(canonical));
          expect(normaliseAddress(canonical)).toBe(canonical.replace(/\s+/g, ' '));
        },
      ),
      { numRuns: 300 },
    );
  });
});
