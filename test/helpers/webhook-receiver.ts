import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a test receiver was sent: the delivery id and the Authorization header of each request. */
export interface Hit {
  delivery: string;
  authorization?: string;
}

export interface Receiver {
  url: string;
  hits: Hit[];
  close: () => Promise<void>;
}

/**
 * A webhook receiver on 127.0.0.1 answering `status()` (a function: it changes when the test says so).
 * With `hold`, each request waits until the test calls the `answer` it is handed.
 */
export async function receiver(status: () => number, hold?: (answer: () => void) => void): Promise<Receiver> {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    hits.push({
      delivery: String(req.headers['x-open311-delivery']),
      authorization: req.headers.authorization,
    });
    req.resume();
    const answer = () => {
      res.statusCode = status();
      res.end();
    };
    if (hold) hold(answer);
    else answer();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    hits,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/**
 * A receiver that holds the requests it gets (a delivery in flight): `sending` settles when the first
 * arrives, and `release()` answers the last one held with `status()`.
 */
export async function holdingReceiver(
  status: () => number,
): Promise<Receiver & { sending: Promise<void>; release: () => void }> {
  let arrived!: () => void;
  const sending = new Promise<void>((res) => (arrived = res));
  let held: (() => void) | undefined;
  const r = await receiver(status, (answer) => {
    held = answer;
    arrived();
  });
  return { ...r, sending, release: () => held?.() };
}
