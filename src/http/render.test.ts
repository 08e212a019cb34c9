import fc from 'fast-check';
import { parseStringPromise } from 'xml2js';
import {
  CONTENT_TYPES,
  escapeXml,
  render,
  renderXml,
  stripNonXmlChars,
  type Payload,
  type Value,
} from './render';

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
const xmlBody = (p: Payload) => render(p, 'xml').slice(DECLARATION.length, -1);

describe('render', () => {
  const payload: Payload = {
    root: 'service_requests',
    body: [
      {
        service_request_id: '101',
        status: 'open',
        lat: 42.35,
        private: false,
        address: null,
        media_urls: ['https://x.test/a.jpg'],
      },
    ],
  };

  test('when JSON is asked for, then the body is the payload as is (a list root is a top-level array)', () => {
    expect(JSON.parse(render(payload, 'json'))).toEqual(payload.body);
  });

  test('when XML is asked for, then the same object becomes elements under the root, each list item named for its list', () => {
    const xml = render(payload, 'xml');
    expect(xml.startsWith(DECLARATION)).toBe(true);
    expect(xml.endsWith('\n')).toBe(true);
    expect(xmlBody(payload)).toBe(
      '<service_requests><request><service_request_id>101</service_request_id><status>open</status>' +
        '<lat>42.35</lat><private>false</private><address/>' +
        '<media_urls><media_url>https://x.test/a.jpg</media_url></media_urls></request></service_requests>',
    );
    expect(renderXml(payload)).toBe(xml);
  });

  test('when a list has one item, then XML still wraps it in its container and JSON keeps an array', async () => {
    const one: Payload = { root: 'services', body: [{ service_code: '1' }] };
    expect(xmlBody(one)).toBe('<services><service><service_code>1</service_code></service></services>');
    expect(JSON.parse(render(one, 'json'))).toEqual([{ service_code: '1' }]);
    const parsed = await parseStringPromise(render(one, 'xml'));
    expect(parsed.services.service).toHaveLength(1);
  });

  test('when a value is null, an empty string or an empty list, then XML writes an empty element and JSON keeps null', () => {
    const p: Payload = { root: 'service', body: { a: null, b: '', notes: [] } };
    expect(xmlBody(p)).toBe('<service><a/><b/><notes/></service>');
    expect(JSON.parse(render(p, 'json'))).toEqual({ a: null, b: '', notes: [] });
  });

  test('when an empty list root is rendered, then XML is one empty root element and JSON an empty array', () => {
    expect(xmlBody({ root: 'service_requests', body: [] })).toBe('<service_requests/>');
    expect(render({ root: 'service_requests', body: [] }, 'json')).toBe('[]');
  });

  test('when a list has no item name of its own, then its entries are <value> elements', () => {
    expect(xmlBody({ root: 'answer', body: { choices: ['a', 'b'] } })).toBe(
      '<answer><choices><value>a</value><value>b</value></choices></answer>',
    );
  });

  test('when errors are rendered, then each is an <error> with code and description', () => {
    const p: Payload = { root: 'errors', body: [{ code: 400, description: 'lat & long <required>' }] };
    expect(xmlBody(p)).toBe(
      '<errors><error><code>400</code><description>lat &amp; long &lt;required&gt;</description></error></errors>',
    );
  });

  test('content types carry the charset', () => {
    expect(CONTENT_TYPES).toEqual({
      json: 'application/json; charset=utf-8',
      xml: 'text/xml; charset=utf-8',
    });
  });
});

describe('escapeXml', () => {
  test('when text holds markup characters or CR, then each is a reference', () => {
    expect(escapeXml(`<a href="x">Tom & Jerry's</a>\r\n`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;&#13;\n',
    );
  });

  test('when any text clean of non-XML characters is rendered, then an XML parser reads back exactly it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme' }), async (raw) => {
        const text = stripNonXmlChars(raw);
        const parsed = await parseStringPromise(renderXml({ root: 'r', body: { t: `x${text}x` } }));
        expect(parsed.r.t[0]).toBe(`x${text}x`);
      }),
      { numRuns: 200 },
    );
  });
});

describe('stripNonXmlChars', () => {
  test('when text holds C0 controls, U+FFFE or a lone surrogate, then they are dropped; tab, LF, CR and pairs stay', () => {
    expect(stripNonXmlChars('a\u0000b\u0008c\u000Bd\uFFFEe\uD800f\tg\nh\ri\uD83D\uDE00')).toBe(
      'abcdef\tg\nh\ri\uD83D\uDE00',
    );
  });
});

/**
 * The writer before it was made fast (array of parts, two replacements for every value), kept as the
 * reference the fast one must match byte for byte.
 */
const REFERENCE_ITEMS: Record<string, string> = {
  services: 'service',
  service_requests: 'request',
  errors: 'error',
  attributes: 'attribute',
  values: 'value',
  endpoints: 'endpoint',
  formats: 'format',
  notes: 'note',
  groups: 'group',
  service_request_updates: 'request_update',
  addresses: 'address',
  suggestions: 'suggestion',
  media_urls: 'media_url',
};
function referenceXml(payload: Payload): string {
  const ESC: Record<string, string> = {
    '&': '&amp;',
    '<': '&lt;',
    '>': '&gt;',
    '"': '&quot;',
    "'": '&apos;',
    '\r': '&#13;',
  };
  const NOT_XML =
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  const write = (name: string, value: Value): void => {
    if (value === null || value === '') out.push('<', name, '/>');
    else if (Array.isArray(value)) {
      if (value.length === 0) {
        out.push('<', name, '/>');
        return;
      }
      out.push('<', name, '>');
      for (const v of value) write(REFERENCE_ITEMS[name] ?? 'value', v);
      out.push('</', name, '>');
    } else if (typeof value === 'object') {
      out.push('<', name, '>');
      for (const key of Object.keys(value)) write(key, value[key] as Value);
      out.push('</', name, '>');
    } else {
      const text = String(value)
        .replace(NOT_XML, '')
        .replace(/[&<>"'\r]/g, (c) => ESC[c] as string);
      out.push('<', name, '>', text, '</', name, '>');
    }
  };
  write(payload.root, payload.body);
  out.push('\n');
  return out.join('');
}

describe('renderXml against the reference writer', () => {
  const hostile = fc.constantFrom(
    '',
    '&',
    '&amp;',
    '<b>x</b>',
    ']]>',
    '"\'',
    '\r\n',
    '\r',
    '\t\n',
    '\u0000\u0001\u001F',
    '\u000B\u000C',
    '\uD800',
    '\uDC00x',
    '\uDBFF\uDFFF',
    '\uD83D\uDE00',
    '\uFFFE\uFFFF',
    'a\uD83Db',
    '<?xml version="1.0"?>',
    '<!DOCTYPE x [<!ENTITY e "boom">]>&e;',
  );
  const text = fc.oneof(
    hostile,
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'grapheme' }),
    fc.array(hostile).map((parts) => parts.join('')),
  );
  const name = fc.constantFrom(
    'service_request_id',
    'description',
    'attributes',
    'values',
    'notes',
    'media_urls',
    'errors',
    'x',
  );
  const { value } = fc.letrec<{ value: Value }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      text,
      fc.constant(null),
      fc.boolean(),
      fc.double(),
      fc.integer(),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(name, tie('value'), { maxKeys: 4 }),
    ),
  }));

  test('when any payload (hostile strings, nesting, lists, nulls, numbers) is rendered, then the output is byte for byte the reference', () => {
    fc.assert(
      fc.property(name, value, (root, body) => {
        const payload: Payload = { root, body };
        expect(renderXml(payload)).toBe(referenceXml(payload));
      }),
      { numRuns: 500 },
    );
  });

  test('when a 1,000-row list of hostile values is rendered, then it matches the reference and parses back', async () => {
    const rows = fc.sample(fc.dictionary(name, text, { maxKeys: 6 }), { numRuns: 1000, seed: 21 });
    const payload: Payload = { root: 'service_requests', body: rows };
    const xml = renderXml(payload);
    expect(xml).toBe(referenceXml(payload));
    const parsed = await parseStringPromise(xml);
    expect(parsed.service_requests.request).toHaveLength(1000);
  });
});
