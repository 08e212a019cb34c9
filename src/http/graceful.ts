/**
 * The HTTP server and its graceful stop, for a process behind a load balancer or in Kubernetes (probe
 * finding: under keep-alive load, SIGTERM reset requests clients had just sent on open connections).
 *
 * From `shutdown()` on: every answer not yet begun says `Connection: close`, so keep-alive clients open
 * their next connection elsewhere; (after the optional drain delay, during which /readyz is already 503
 * and everything is still served) the listener stops accepting; requests in flight finish; and a
 * keep-alive connection with no request on it is closed once it has stayed idle for `idleGraceMs` with no
 * byte arriving, so a request a client sent on it just before or after the signal is answered (with
 * `Connection: close`) rather than reset. http.Server#close would destroy idle keep-alive sockets at once,
 * including one whose next request is already in the socket buffer but not yet read: that is the reset.
 * A connection that still sends nothing closes at its idle grace; only bytes a client puts on the wire in
 * the instant the socket is destroyed can still meet a reset, as with any keep-alive timeout.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Lifecycle } from '../core';

/** Timers, passed in so tests move time by hand. */
export interface ShutdownTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: ShutdownTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** How long a keep-alive connection may stay idle once the server is stopping before it is closed. */
export const IDLE_GRACE_MS = 1_000;

export interface GracefulServer {
  server: Server;
  /** Answers being written now. */
  inFlight(): number;
  /**
   * Stops: marks the lifecycle stopping (if the caller has not), waits `drainDelayMs` while still serving,
   * stops accepting, and resolves once every connection has closed (`drained: true`), or after `drainMs`
   * with what is still open cut off (`drained: false`, `cutOff` answers).
   */
  shutdown(opts: {
    now: Date;
    drainDelayMs?: number;
    drainMs: number;
  }): Promise<{ drained: boolean; cutOff: number }>;
}

interface Connection {
  /** Requests being answered on it. */
  busy: number;
  /** The idle-grace timer, while one runs. */
  timer: unknown;
}

export function gracefulServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  opts: { lifecycle: Lifecycle; timers?: ShutdownTimers; idleGraceMs?: number },
): GracefulServer {
  const { lifecycle } = opts;
  const timers = opts.timers ?? realTimers;
  const idleGraceMs = opts.idleGraceMs ?? IDLE_GRACE_MS;
  const inFlight = new Set<ServerResponse>();
  const connections = new Map<Socket, Connection>();
  let draining = false;

  /** Closes `socket` once it has been idle for the grace with no byte arriving (a request being sent). */
  const closeWhenIdle = (socket: Socket, c: Connection): void => {
    if (c.busy > 0 || c.timer !== null || socket.destroyed) return;
    const bytesRead = socket.bytesRead;
    c.timer = timers.setTimeout(() => {
      // After the next poll phase: what the kernel already holds for this socket is read (and parsed) by then.
      setImmediate(() => {
        c.timer = null;
        if (c.busy > 0 || socket.destroyed) return;
        if (socket.bytesRead === bytesRead) socket.destroy();
        else closeWhenIdle(socket, c); // part of a request came in: wait for it to be handled
      });
    }, idleGraceMs);
  };

  const server = createServer((req, res) => {
    if (lifecycle.stopping) res.setHeader('Connection', 'close');
    inFlight.add(res);
    const c = connections.get(req.socket);
    if (c) {
      c.busy += 1;
      if (c.timer !== null) {
        timers.clearTimeout(c.timer);
        c.timer = null;
      }
    }
    res.on('close', () => {
      inFlight.delete(res);
      if (!c) return;
      c.busy -= 1;
      if (draining) closeWhenIdle(req.socket, c);
    });
    handler(req, res);
  });
  server.keepAliveTimeout = 5000;
  server.on('connection', (socket: Socket) => {
    const c: Connection = { busy: 0, timer: null };
    connections.set(socket, c);
    socket.on('close', () => {
      if (c.timer !== null) timers.clearTimeout(c.timer);
      connections.delete(socket);
    });
    // Accepted during the drain delay: answered like any other, closed if it stays silent.
    if (draining) closeWhenIdle(socket, c);
  });

  const sleep = (ms: number) => new Promise<void>((resolve) => timers.setTimeout(resolve, ms));

  return {
    server,
    inFlight: () => inFlight.size,
    async shutdown({ now, drainDelayMs = 0, drainMs }) {
      lifecycle.stop(now);
      draining = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      for (const [socket, c] of connections) closeWhenIdle(socket, c);
      if (drainDelayMs > 0) await sleep(drainDelayMs);
      const closed = new Promise<void>((resolve) => {
        // Stop accepting without Node's closing of idle connections at once (see the top of this file).
        server.closeIdleConnections = () => undefined;
        server.close(() => resolve());
        delete (server as Partial<Pick<Server, 'closeIdleConnections'>>).closeIdleConnections;
      });
      let timer: unknown;
      const drained = await Promise.race([
        closed.then(() => true),
        new Promise<false>((resolve) => (timer = timers.setTimeout(() => resolve(false), drainMs))),
      ]);
      timers.clearTimeout(timer);
      if (drained) return { drained: true, cutOff: 0 };
      const cutOff = inFlight.size;
      server.closeAllConnections();
      await closed;
      return { drained: false, cutOff };
    },
  };
}
