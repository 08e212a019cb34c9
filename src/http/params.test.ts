import fc from 'fast-check';
import { AppError, Problems } from '../core/errors';
import { number, scalar } from './params';

/** The descriptions a Problems collected, or [] when none. */
function problemsOf(p: Problems): string[] {
  try {
    p.throwIfAny();
    return [];
  } catch (err) {
    return (err as AppError).errors.map((e) => e.description);
  }
}

describe('scalar', () => {
  test('when a value is empty or blank, then it is absent, as the spec treats empty parameters', () => {
    expect(scalar({ a: '' }, 'a')).toBeUndefined();
    expect(scalar({ a: '   ' }, 'a')).toBeUndefined();
    expect(scalar({}, 'a')).toBeUndefined();
  });

  test('when a value is given, then it is trimmed; numbers and booleans (JSON bodies) become text', () => {
    expect(scalar({ a: ' x ' }, 'a')).toBe('x');
    expect(scalar({ a: 42 }, 'a')).toBe('42');
    expect(scalar({ a: false }, 'a')).toBe('false');
  });

  test('when a scalar is repeated, then its first non-empty value counts', () => {
    expect(scalar({ a: ['', 'first', 'second'] }, 'a')).toBe('first');
    expect(scalar({ a: ['', ' '] }, 'a')).toBeUndefined();
  });

  test('when a value is an object, then it is absent', () => {
    expect(scalar({ a: { b: 'c' } }, 'a')).toBeUndefined();
  });
});

describe('number', () => {
  const range = { min: -90, max: 90 };

  test('when a decimal in range is given, then it is the number', () => {
    const p = new Problems();
    expect(number({ lat: '42.35' }, 'lat', p, range)).toBe(42.35);
    expect(number({ lat: '-1e1' }, 'lat', p, range)).toBe(-10);
    expect(number({ lat: '.5' }, 'lat', p, range)).toBe(0.5);
    expect(number({}, 'lat', p, range)).toBeUndefined();
    expect(problemsOf(p)).toEqual([]);
  });

  test.each(['abc', '0x10', 'Infinity', '91', '-90.5', '1,5', '12abc'])(
    'when "%s" is given, then it is a problem naming the parameter, the range and the value',
    (raw) => {
      const p = new Problems();
      expect(number({ lat: raw }, 'lat', p, range)).toBeUndefined();
      expect(problemsOf(p)).toEqual([`lat must be a number from -90 to 90 (got "${raw}").`]);
    },
  );

  test('when a whole number is required, then a fraction is a problem', () => {
    const p = new Problems();
    expect(number({ page: '1.5' }, 'page', p, { min: 1, max: 10, integer: true })).toBeUndefined();
    expect(problemsOf(p)).toEqual(['page must be a whole number from 1 to 10 (got "1.5").']);
  });

  test('when a very long value is refused, then the message quotes at most 40 characters of it', () => {
    const p = new Problems();
    number({ lat: 'x'.repeat(500) }, 'lat', p, range);
    expect(problemsOf(p)[0]).toContain(`(got "${'x'.repeat(40)}")`);
  });

  test('when any text is given, then the result is undefined or a finite number in range, never NaN', () => {
    fc.assert(
      fc.property(fc.string(), (raw) => {
        const n = number({ lat: raw }, 'lat', new Problems(), range);
        return n === undefined || (Number.isFinite(n) && n >= -90 && n <= 90);
      }),
    );
  });
});
