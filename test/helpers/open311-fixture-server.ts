import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const DIR = path.resolve(__dirname, '../fixtures/real-cities');

/**
 * A GeoReport server on 127.0.0.1 that answers with real cities' captured responses (test/fixtures/
 * real-cities): `/{city}/services.{format}` and `/{city}/services/{code}.{format}`. Anything else is a 404,
 * like a city that does not publish a definition.
 */
const ROUTES: Record<string, string> = {
  '/dc/services.xml': 'dc-services-S0301.xml',
  '/dc/services/S0301.xml': 'dc-service-definition-S0301.xml',
  '/dcfull/services.xml': 'dc-services.xml',
  '/dcfull/services/S0301.xml': 'dc-service-definition-S0301.xml',
  '/sf/services.xml': 'sf-services.xml',
  '/giessen/services.xml': 'giessen-services.xml',
  '/bloomington/services.json': 'bloomington-services.json',
};

export interface FixtureServer {
  url: string;
  hits: string[];
  close(): Promise<void>;
}

export async function startFixtureServer(): Promise<FixtureServer> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    hits.push(pathname);
    const file = ROUTES[pathname];
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res
      .writeHead(200, {
        'content-type': file.endsWith('.xml') ? 'text/xml; charset=utf-8' : 'application/json',
      })
      .end(fs.readFileSync(path.join(DIR, file)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
