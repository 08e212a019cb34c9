import { checker, queryInput, suggestion, type Schema } from './validation';

const level = {
  type: 'object',
  additionalProperties: false,
  required: ['value', 'unit'],
  properties: {
    value: { type: 'number', exclusiveMinimum: 0, maximum: 10 },
    unit: { type: 'string', enum: ['hours', 'days'], 'x-problem': '{field} must be hours or days.' },
  },
} as const;

const body = {
  $id: 'test/validation-body',
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 20 },
    event_types: { type: 'array', items: { type: 'string', enum: ['a', 'b'] }, maxItems: 2 },
    level,
    levels: {
      type: 'object',
      additionalProperties: false,
      'x-unknown': '{field}: "{key}" is not a level.',
      properties: { low: level },
    },
    colour: { type: 'string', default: 'red' },
  },
} as const satisfies Schema;

const query = {
  $id: 'test/validation-query',
  type: 'object',
  properties: {
    page: { type: 'integer', minimum: 1, maximum: 100 },
    on: { type: 'boolean' },
    ids: { type: 'array', items: { type: 'string' }, maxItems: 3 },
  },
} as const satisfies Schema;

const bodyCheck = checker<{ name: string; colour: string }>(body);

describe('schema errors as Open311 descriptions', () => {
  it('when a body has several problems, then each is described once, naming its field', () => {
    expect(
      bodyCheck.problems({
        events: ['a'],
        event_types: ['a', 'z', 'y'],
        level: { value: 0, unit: 'weeks', extra: 1 },
        levels: { high: {}, low: { value: '2', unit: 'hours' } },
      }),
    ).toEqual([
      'name is required.',
      'Unknown field "events" (did you mean "event_types"?); expected name, event_types, level, levels, colour.',
      'event_types must be a list of at most 2 values.',
      'event_types[1] must be one of a, b (got "z").',
      'event_types[2] must be one of a, b (got "y").',
      'Unknown field "level.extra"; expected value, unit.',
      'level.value must be a number greater than 0 and at most 10 (got "0").',
      'level.unit must be hours or days.',
      'levels: "high" is not a level.',
      'levels.low.value must be a number greater than 0 and at most 10 (got "2").',
    ]);
  });

  it('when a text that may be null is too long, then its length is what is said (it said "text or null")', () => {
    const nullable = checker({
      $id: 'test/validation-nullable',
      type: 'object',
      properties: { notify: { type: ['string', 'null'], maxLength: 5 } },
    });
    expect(nullable.problems({ notify: 'x'.repeat(6) })).toEqual([
      'notify must be text of at most 5 characters (or null) (got "xxxxxx").',
    ]);
    expect(nullable.problems({ notify: null })).toEqual([]);
  });

  it('when the body is not an object, then one description says so', () => {
    expect(bodyCheck.problems([])).toEqual(['The body must be a JSON object.']);
  });

  it('when a body is valid, then parse returns it with defaults filled in', () => {
    expect(bodyCheck.parse({ name: 'x' })).toEqual({ name: 'x', colour: 'red' });
  });

  it('when parse meets problems, then it throws one 400 listing all of them', () => {
    expect(() => bodyCheck.parse({ colour: 3 })).toThrow(
      expect.objectContaining({
        status: 400,
        errors: [
          { code: 400, description: 'name is required.' },
          { code: 400, description: 'colour must be text (got "3").' },
        ],
      }),
    );
  });

  it('when query text is read, then declared parameters take their schema types and others are ignored', () => {
    expect(queryInput(query, { page: ['', ' 3 '], on: 'TRUE', ids: ['1,2', ' ,3'], api_key: 'k' })).toEqual({
      page: 3,
      on: true,
      ids: ['1', '2', '3'],
    });
    const check = checker(query);
    expect(check.problems(queryInput(query, { page: '1.5', on: 'yes', ids: '1,2,3,4' }))).toEqual([
      'page must be a whole number from 1 to 100 (got "1.5").',
      'on must be true or false (got "yes").',
      'ids must be a list of at most 3 values.',
    ]);
    expect(check.problems(queryInput(query, { page: 'two' }))).toEqual([
      'page must be a whole number from 1 to 100 (got "two").',
    ]);
  });

  it('when a field is misspelt, then the likely one is suggested', () => {
    expect(suggestion('events', ['url', 'event_types'])).toBe('event_types');
    expect(suggestion('status_notes', ['detailed_status', 'note', 'public'])).toBe('note');
    expect(suggestion('colour', ['url', 'event_types'])).toBeUndefined();
  });
});
