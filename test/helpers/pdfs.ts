/** PDF files made by the tests themselves (pdf-lib), including ones carrying personal data and actions. */
import zlib from 'node:zlib';
import {
  decodePDFRawStream,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFRawStream,
  PDFRef,
  PDFString,
  StandardFonts,
} from 'pdf-lib';

/** What the hostile PDF hides outside its pages; none of it may be published. */
export const SECRETS = [
  'jo.resident@example.org',
  '+1 617 555 0142',
  'Jo Resident',
  'Secret Subject',
  'home-address',
  'app.alert',
  'XMP-author@example.org',
  'x:xmpmeta',
  '/OpenAction',
  '/JavaScript',
  '/Annots',
  '/AA',
  '/Author',
  '/Producer',
  '/EmbeddedFiles',
  '/AcroForm',
  '/PieceInfo',
  'attached-notes.txt',
];

/** The text drawn on the pages (visible content: it stays). */
export const VISIBLE = 'Pothole on Main Street';
/** How pdf-lib writes VISIBLE in a page's content stream (a hex string in the font's encoding). */
export const VISIBLE_HEX = Buffer.from(VISIBLE, 'latin1').toString('hex').toUpperCase();

/**
 * A `pages`-page PDF as a word processor or a form tool leaves it: Info fields with an email and a phone,
 * an XMP stream, a JavaScript OpenAction, a link annotation running JavaScript, page additional actions,
 * an attached file, a form and private application data. Written without object streams, so that every
 * dictionary is plain text (a search of the bytes finds them).
 */
export async function hostilePdf(pages = 2, opts: { objectStreams?: boolean } = {}): Promise<Buffer> {
  const doc = await PDFDocument.create();
  doc.setTitle('Pothole report');
  doc.setAuthor('Jo Resident <jo.resident@example.org>');
  doc.setProducer('Scanner app, call +1 617 555 0142');
  doc.setSubject('Secret Subject');
  doc.setKeywords(['home-address', 'jo.resident@example.org']);
  // pdf-lib writes those as UTF-16 hex; the same again as literal strings, as most tools write them.
  const info = doc.context.lookup(doc.context.trailerInfo.Info, PDFDict);
  info.set(PDFName.of('Author'), PDFString.of('Jo Resident <jo.resident@example.org>'));
  info.set(PDFName.of('Producer'), PDFString.of('Scanner app, call +1 617 555 0142'));
  info.set(PDFName.of('Subject'), PDFString.of('Secret Subject'));
  info.set(PDFName.of('Keywords'), PDFString.of('home-address jo.resident@example.org'));
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const ctx = doc.context;
  const js = (code: string) => ctx.obj({ Type: 'Action', S: 'JavaScript', JS: PDFString.of(code) });
  const infoRef = ctx.trailerInfo.Info as PDFRef;
  // A drawing (form XObject) with its own XMP, private data, and a key pointing at the Info dictionary.
  const drawingXmp = ctx.register(
    ctx.stream('<x:xmpmeta>XMP-author@example.org</x:xmpmeta>', { Type: 'Metadata', Subtype: 'XML' }),
  );
  const drawing = ctx.register(
    ctx.stream('0 0 1 1 re f', {
      Type: 'XObject',
      Subtype: 'Form',
      BBox: [0, 0, 1, 1],
      Metadata: drawingXmp,
      PieceInfo: { Editor: { Private: PDFString.of('home-address') } },
      Origin: infoRef,
    }),
  );
  for (let i = 0; i < pages; i++) {
    const page = doc.addPage([300, 200]);
    page.drawText(`${VISIBLE} ${i + 1}`, { x: 20, y: 100, size: 12, font });
    const resources = page.node.Resources() as PDFDict;
    resources.set(PDFName.of('XObject'), ctx.obj({ Drawing1: drawing }));
    resources.set(PDFName.of('Private'), infoRef);
    page.node.set(PDFName.of('Owner'), infoRef);
    page.node.set(PDFName.of('Metadata'), drawingXmp);
    const link = ctx.register(
      ctx.obj({
        Type: 'Annot',
        Subtype: 'Link',
        Rect: [0, 0, 100, 100],
        A: js('app.alert("jo.resident@example.org")'),
      }),
    );
    page.node.set(PDFName.of('Annots'), ctx.obj([link]));
    page.node.set(PDFName.of('AA'), ctx.obj({ O: js('app.alert("opened page")') }));
    page.node.set(
      PDFName.of('PieceInfo'),
      ctx.obj({ Editor: { Private: PDFString.of('Jo Resident, +1 617 555 0142') } }),
    );
  }
  const xmp =
    '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">' +
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description ' +
    'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="XMP-author@example.org"/></rdf:RDF>' +
    '</x:xmpmeta><?xpacket end="w"?>';
  const meta = ctx.stream(xmp, { Type: 'Metadata', Subtype: 'XML' });
  doc.catalog.set(PDFName.of('Metadata'), ctx.register(meta));
  doc.catalog.set(PDFName.of('OpenAction'), js('app.alert("jo.resident@example.org")'));
  const attached = ctx.register(
    ctx.stream('Notes of Jo Resident, +1 617 555 0142', { Type: 'EmbeddedFile' }),
  );
  doc.catalog.set(
    PDFName.of('Names'),
    ctx.obj({
      JavaScript: { Names: [PDFString.of('init'), js('app.alert("home-address")')] },
      EmbeddedFiles: {
        Names: [
          PDFString.of('attached-notes.txt'),
          { Type: 'Filespec', F: PDFString.of('attached-notes.txt'), EF: { F: attached } },
        ],
      },
    }),
  );
  doc.catalog.set(PDFName.of('AcroForm'), ctx.obj({ Fields: [] }));
  return Buffer.from(await doc.save({ useObjectStreams: opts.objectStreams ?? false }));
}

/** A PDF whose trailer names an encryption dictionary (pdf-lib cannot encrypt; readers need a password). */
export async function encryptedPdf(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  doc.addPage([100, 100]);
  const ctx = doc.context;
  ctx.trailerInfo.Encrypt = ctx.register(
    ctx.obj({
      Filter: 'Standard',
      V: 1,
      R: 2,
      O: PDFHexString.of('00'.repeat(32)),
      U: PDFHexString.of('00'.repeat(32)),
      P: -4,
    }),
  );
  ctx.trailerInfo.ID = ctx.obj([PDFHexString.of('00'.repeat(16)), PDFHexString.of('00'.repeat(16))]);
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}

/** A plain PDF of `pages` blank pages. */
export async function plainPdf(pages = 1): Promise<Buffer> {
  const doc = await PDFDocument.create();
  for (let i = 0; i < pages; i++) doc.addPage([100, 100]);
  return Buffer.from(await doc.save({ addDefaultPage: false }));
}

/** A PDF whose page tree names one node twice at each of `depth` levels: 2^depth pages from a few objects. */
export function pageTreeBomb(depth = 40): Buffer {
  const objects = [
    '<</Type/Catalog/Pages 2 0 R>>',
    ...Array.from({ length: depth }, (_, i) => `<</Type/Pages/Kids[${i + 3} 0 R ${i + 3} 0 R]/Count 2>>`),
    '<</Type/Page/MediaBox[0 0 10 10]>>',
  ];
  return Buffer.from(
    '%PDF-1.4\n' +
      objects.map((o, i) => `${i + 1} 0 obj${o}endobj\n`).join('') +
      'trailer<</Root 1 0 R>>\n%%EOF\n',
    'latin1',
  );
}

/** A small PDF with an object stream that inflates to `mb` megabytes (a decompression bomb). */
export function objectStreamBomb(mb = 64): Buffer {
  const packed = zlib.deflateSync(Buffer.alloc(mb * 1_048_576, 0x20), { level: 9 });
  const head = Buffer.from(
    '%PDF-1.5\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
      '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\n' +
      `4 0 obj<</Type/ObjStm/N 1/First 4/Filter/FlateDecode/Length ${packed.length}>>stream\n`,
    'latin1',
  );
  return Buffer.concat([head, packed, Buffer.from('\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n')]);
}

/**
 * Everything a PDF holds as text: every object written out, streams decoded (so that compression cannot
 * hide what is searched for), and the trailer.
 */
export async function pdfText(bytes: Uint8Array): Promise<{ text: string; pages: number; doc: PDFDocument }> {
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  const parts: string[] = [Buffer.from(bytes).toString('latin1')];
  for (const [, object] of doc.context.enumerateIndirectObjects()) {
    parts.push(object.toString());
    if (object instanceof PDFRawStream) {
      try {
        parts.push(Buffer.from(decodePDFRawStream(object).decode()).toString('latin1'));
      } catch {
        parts.push(Buffer.from(object.contents).toString('latin1'));
      }
    }
  }
  const trailer = doc.context.trailerInfo;
  parts.push(String(trailer.Info ?? ''), String(trailer.ID ?? ''), String(trailer.Encrypt ?? ''));
  return { text: parts.join('\n'), pages: doc.getPageCount(), doc };
}

/** The keys of a PDF's catalog and of its pages (what a sanitised file may keep). */
export function structureOf(doc: PDFDocument): { catalog: string[]; pages: string[][]; info: boolean } {
  const keys = (d: PDFDict) =>
    d
      .keys()
      .map((k) => k.decodeText())
      .sort();
  return {
    catalog: keys(doc.catalog),
    pages: doc.getPages().map((p) => keys(p.node)),
    info: doc.context.trailerInfo.Info instanceof PDFRef,
  };
}
