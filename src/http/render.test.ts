import fc from 'fast-check';
import { parseStringPromise } from 'xml2js';
import { CONTENT_TYPES, escapeXml, render, renderXml, stripNonXmlChars, type Payload } from './render';

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
