/** Image files made by the tests themselves (sharp), including hostile ones. */
import sharp from 'sharp';

/** A JPEG as a phone makes it: EXIF with the camera and the GPS position of the resident. */
export function jpegWithGps(width = 64, height = 48): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 60, b: 40 } } })
    .jpeg()
    .withExif({
      IFD0: { Make: 'TestPhone', Model: 'Resident 12' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '42/1 21/1 1/1',
        GPSLongitudeRef: 'W',
        GPSLongitude: '71/1 5/1 12/1',
      },
    })
    .toBuffer();
}

export function png(width = 40, height = 30): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: { r: 0, g: 120, b: 200, alpha: 1 } } })
    .png()
    .toBuffer();
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A few hundred bytes of PNG whose header declares `side`×`side` pixels: a decompression bomb. */
export async function pngBomb(side = 30_000): Promise<Buffer> {
  const small = Buffer.from(await png(1, 1));
  // IHDR is the first chunk: length(4) type(4) at 8, width at 16, height at 20, CRC after its 13 bytes.
  small.writeUInt32BE(side, 16);
  small.writeUInt32BE(side, 20);
  small.writeUInt32BE(crc32(small.subarray(12, 29)), 29);
  return small;
}

/** A minimal PDF: one blank page, written by hand (no xref table, which readers rebuild). */
export const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);
