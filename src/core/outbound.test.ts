import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isPublicAddress, outboundFetch, readTextLimited } from './outbound';

describe('isPublicAddress', () => {
  it.each([
    ['8.8.8.8', true],
    ['2606:4700:4700::1111', true],
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['172.16.0.1', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['::1', false],
    ['fd00::1', false],
    ['fe80::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:8.8.8.8', true],
    ['not an ip', false],
  ])('%s → %s', (ip, expected) => expect(isPublicAddress(ip)).toBe(expected));
});

describe('outboundFetch', () => {
  let server: http.Server;
  let port: number;
  let hits = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits += 1;
      res.end(req.url === '/big' ? 'x'.repeat(5000) : 'hello');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });

  it('when private addresses are refused, then neither an IP literal nor a name resolving to loopback is reached', async () => {
    const strict = outboundFetch(false);
    await expect(strict(`http://127.0.0.1:${port}/`)).rejects.toThrow(/not a public address/);
    await expect(strict(`http://[::1]:${port}/`)).rejects.toThrow(/not a public address/);
    const byName = await strict(`http://localhost:${port}/`).catch((err: Error & { cause?: Error }) => err);
    expect(String((byName as Error & { cause?: Error }).cause ?? byName)).toMatch(/not a public address/);
    expect(hits).toBe(0);
  });

  it('when private addresses are allowed, then the request is made', async () => {
    const res = await outboundFetch(true)(`http://127.0.0.1:${port}/`);
    expect(await res.text()).toBe('hello');
    expect(hits).toBe(1);
  });

  it('when a body is larger than the bound, then reading it fails', async () => {
    const res = await outboundFetch(true)(`http://127.0.0.1:${port}/big`);
    await expect(readTextLimited(res, 1000)).rejects.toThrow(/larger than 1000 bytes/);
    const ok = await outboundFetch(true)(`http://127.0.0.1:${port}/big`);
    expect((await readTextLimited(ok, 10_000)).length).toBe(5000);
  });
});
