import type http from 'node:http';
import net from 'node:net';

/** A TCP port nothing listens on right now, for a server a test starts as a child process. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** A client request's answer: its status, Connection header and body. */
export interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

/** The answer to `req`, read whole. */
export const answer = (req: http.ClientRequest) =>
  new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
