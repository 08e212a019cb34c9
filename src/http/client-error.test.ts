import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { answerClientError } from './client-error';

/** A real HTTP server with the listener, and a raw socket (no client library would send these). */
let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((_req, res) => res.end('ok'));
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function raw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
    socket.end(request);
  });
}

function parse(response: string): { status: number; type: string; body: string } {
  const [head = '', body = ''] = response.split('\r\n\r\n');
  return {
    status: Number(head.split(' ')[1]),
    type: /content-type: ([^\r\n]*)/i.exec(head)?.[1] ?? '',
    body,
  };
}

test('headers over 16 kB: 431 with an Open311 error list, JSON by default', async () => {
  const res = parse(
    await raw(`GET /open311/v2/requests.json HTTP/1.1\r\nHost: x\r\nCookie: ${'a'.repeat(20_000)}\r\n\r\n`),
  );
  expect(res.status).toBe(431);
  expect(res.type).toMatch(/application\/json/);
  expect(JSON.parse(res.body)).toEqual([{ code: 431, description: expect.stringContaining('16 kB') }]);
});

test('an .xml request line gets <errors>', async () => {
  const res = parse(
    await raw(
      `GET /open311/v2/requests.xml?status=open HTTP/1.1\r\nHost: x\r\nX-Long: ${'b'.repeat(20_000)}\r\n\r\n`,
    ),
  );
  expect(res.status).toBe(431);
  expect(res.type).toMatch(/text\/xml/);
  expect(res.body).toContain('<errors><error><code>431</code>');
});

test('a request that is not HTTP: 400 with a body', async () => {
  const res = parse(await raw('HELLO THERE\r\n\r\n'));
  expect(res.status).toBe(400);
  expect(JSON.parse(res.body)).toEqual([{ code: 400, description: expect.any(String) }]);
});

test('a good request on the same server is untouched', async () => {
  const res = await raw('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  expect(res.startsWith('HTTP/1.1 200')).toBe(true);
});
