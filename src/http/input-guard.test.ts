import { isText, nonTextField } from './input-guard';

describe('input guard', () => {
  it('when a string holds NUL, another C0 control, DEL, a C1 control, U+FFFF or a lone surrogate, then it is not text', () => {
    for (const s of [
      'a\u0000b',
      '\u0001',
      'x\u001F',
      'a\u007Fb',
      'A\u0081B',
      '\u0085',
      '\u009F',
      '\uFFFF',
      '\uFFFE',
      'a\uD800',
      '\uDC00b',
    ])
      expect(isText(s)).toBe(false);
  });
  it('when a string holds tab, LF, CR, emoji or any script, then it is text', () => {
    for (const s of ['a\tb\nc\r', '😀 👩‍👩‍👧', 'مرحبا', '中文', '', 'Café €5 “q” ¡ÿ\u00A0'])
      expect(isText(s)).toBe(true);
  });
  it('when a nested body hides a NUL in a value or a key, then the field is named', () => {
    expect(nonTextField({ a: 'ok', attribute: { X: ['ok', 'b\u0000'] } })).toBe('attribute[X][1]');
    expect(nonTextField({ ['k\u0000']: 'v' })).toBe('a field name');
    expect(nonTextField({ a: 1, b: null, c: [true, 'fine'] })).toBeNull();
  });
});
