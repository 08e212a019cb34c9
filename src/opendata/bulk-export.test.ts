import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import express from 'express';
import { compressResponses } from '../http';
import { backPressureWriter } from './bulk-export';

/**
 * The export writes batch after batch, waiting for 'drain' whenever the buffer is full. Behind the
 * compression middleware a response's 'drain' listeners live on its gzip stream, which once/off cannot
 * clear: one listener per wait piled up there (MaxListenersExceededWarning at the 11th wait of an export).
 */
describe('backPressureWriter', () => {
  const CHUNKS = 40;
  const CHUNK = 256 * 1024; // random bytes: gzip cannot shrink them, so each write fills its buffer

  it('when a compressed answer waits for drain 40 times, then every byte arrives and no listener piles up', async () => {
    let drainListeners = -1;
    const sent = crypto.randomBytes(CHUNKS * CHUNK);
    let waits = 0;
    const app = express();
    app.use(compressResponses());
    app.get('/export', async (_req, res) => {
      res.type('text/csv');
      // Counts the writes that fill the buffer (each one a wait for 'drain').
      const compressed = res.write.bind(res) as (chunk: Buffer) => boolean;
      res.write = ((chunk: Buffer) => {
        const ok = compressed(chunk);
        if (!ok) waits += 1;
        return ok;
      }) as typeof res.write;
      // The emitter the response's 'drain' listeners really go to (the middleware's gzip stream): a
      // listener is called with it as `this`.
      let emitter: NodeJS.EventEmitter | undefined;
      res.on('drain', function (this: NodeJS.EventEmitter) {
        // eslint-disable-next-line @typescript-eslint/no-this-alias -- the emitter is only known as `this`
        emitter = this;
      });
      const write = backPressureWriter(res);
      for (let i = 0; i < CHUNKS; i++) await write(sent.subarray(i * CHUNK, (i + 1) * CHUNK));
      drainListeners = emitter?.listenerCount('drain') ?? -1;
      res.end();
    });
    const server = app.listen(0, '127.0.0.1');
    try {
      await new Promise((r) => server.once('listening', r));
      const { port } = server.address() as AddressInfo;
      const received = await new Promise<{ encoding: string | undefined; body: Buffer }>(
        (resolve, reject) => {
          http
            .get(
              { host: '127.0.0.1', port, path: '/export', headers: { 'Accept-Encoding': 'gzip' } },
              (res) => {
                const parts: Buffer[] = [];
                const body = res.pipe(zlib.createGunzip());
                body.on('data', (c: Buffer) => parts.push(c));
                body.on('end', () =>
                  resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(parts) }),
                );
                body.on('error', reject);
              },
            )
            .on('error', reject);
        },
      );
      expect(received.encoding).toBe('gzip');
      expect(received.body.equals(sent)).toBe(true);
      // This test's listener and the writer's one: not one more per wait.
      expect(drainListeners).toBe(2);
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(waits).toBeGreaterThan(10);
  });

  it('when the client has gone, then a write returns at once instead of waiting for a drain that never comes', async () => {
    const { PassThrough } = await import('node:stream');
    const out = new PassThrough({ highWaterMark: 4 });
    const write = backPressureWriter(out);
    out.destroy();
    await new Promise((r) => setImmediate(r));
    await expect(write('more than four bytes')).resolves.toBeUndefined();
  });
});
