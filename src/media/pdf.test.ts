/**
 * The PDF rewrite on its own (./pdf.ts): what leaves a PDF, what stays, and every refusal with its reason.
 * The HTTP side (400s, nothing stored) is in test/media.test.ts.
 */
import { PDFDocument, PDFName } from 'pdf-lib';
import {
  encryptedPdf,
  hostilePdf,
  objectStreamBomb,
  pageTreeBomb,
  pdfText,
  plainPdf,
  SECRETS,
  structureOf,
  VISIBLE_HEX,
} from '../../test/helpers/pdfs';
import { PdfRefused, sanitizePdf } from './pdf';

const PAGE_KEYS = ['Contents', 'MediaBox', 'Parent', 'Resources', 'Type'];

/** The reason a file is refused for, or null when it is accepted. */
async function refusal(bytes: Uint8Array, maxPages = 50): Promise<string | null> {
  try {
    await sanitizePdf(bytes, { maxPages });
    return null;
  } catch (err) {
    if (!(err instanceof PdfRefused)) throw err;
    return err.reason;
  }
}

describe('sanitizePdf', () => {
  it.each([
    ['without', false],
    ['with', true],
  ])(
    'when a PDF (%s object streams) carries Info, XMP, JavaScript, annotations, attachments and private data, then only its pages remain',
    async (_, objectStreams) => {
      const sent = await hostilePdf(3, { objectStreams });
      // The test PDF really carries all of it (else the checks below prove nothing).
      const before = await pdfText(sent);
      expect(SECRETS.filter((s) => !before.text.includes(s))).toEqual([]);

      const out = await sanitizePdf(sent, { maxPages: 50 });
      const after = await pdfText(out);
      expect(SECRETS.filter((s) => after.text.includes(s))).toEqual([]);
      expect(after.pages).toBe(3);
      expect(after.text).toContain(VISIBLE_HEX);
      const structure = structureOf(after.doc);
      expect(structure.catalog).toEqual(['Pages', 'Type']);
      expect(structure.pages).toEqual([PAGE_KEYS, PAGE_KEYS, PAGE_KEYS]);
      expect(structure.info).toBe(false);
      expect(after.doc.context.trailerInfo.ID).toBeUndefined();
      // The drawing stays, without its metadata, private data and the key that pointed at the Info.
      const resources = after.doc.getPage(0).node.Resources();
      const kinds = resources?.keys().map((k) => k.decodeText()) ?? [];
      expect(kinds).toEqual(expect.arrayContaining(['Font', 'XObject']));
      expect(kinds.filter((k) => !['ExtGState', 'Font', 'XObject'].includes(k))).toEqual([]);
    },
  );

  it('when a PDF is cut off (mid-object, or before its end marker), then it is refused as cut off', async () => {
    const sent = await plainPdf(2);
    for (const length of [120, Math.floor(sent.length / 2), sent.length - 7])
      expect(await refusal(sent.subarray(0, length))).toContain('is cut off');
  });

  it('when a PDF is cut off mid-object and an end marker added, then it is refused as damaged', async () => {
    const sent = await hostilePdf(1);
    const forged = Buffer.concat([sent.subarray(0, 400), Buffer.from('\n%%EOF\n')]);
    expect(await refusal(forged)).toMatch(/^could not be read as a PDF/);
  });

  it('when a PDF is encrypted, then it is refused as encrypted', async () => {
    expect(await refusal(await encryptedPdf())).toBe(
      'is encrypted or password-protected: send it without a password or restrictions.',
    );
  });

  it('when a PDF has more pages than allowed, then it is refused naming the limit; at the limit it is kept', async () => {
    expect(await refusal(await plainPdf(4), 3)).toBe('has more than 3 pages, the most accepted.');
    expect(await refusal(await plainPdf(3), 3)).toBeNull();
  });

  it('when a PDF has no pages, then it is refused', async () => {
    expect(await refusal(await plainPdf(0))).toBe('has no pages.');
  });

  it('when a page tree names a node twice (2^40 pages from 40 objects), then it is refused at once', async () => {
    const started = performance.now();
    expect(await refusal(pageTreeBomb(40))).toContain('its list of pages is malformed');
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('when an object stream inflates to 64 MB, then it is refused before pdf-lib decodes it', async () => {
    const bomb = objectStreamBomb(64);
    expect(bomb.length).toBeLessThan(200_000);
    expect(await refusal(bomb)).toBe('holds compressed structure that expands beyond 32 MB.');
  });

  it("when a page's /Parent points at itself, then the tree is repaired from the root and the page kept", async () => {
    const doc = await PDFDocument.create({ updateMetadata: false });
    doc.addPage([100, 100]);
    doc.addPage([200, 100]);
    const second = doc.getPage(1);
    second.node.set(PDFName.of('Parent'), second.ref);
    const out = await PDFDocument.load(
      await sanitizePdf(await doc.save({ useObjectStreams: false }), { maxPages: 50 }),
    );
    expect(out.getPages().map((p) => p.getWidth())).toEqual([100, 200]);
  });
});
