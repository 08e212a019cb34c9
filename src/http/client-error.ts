/**
 * Requests Node's HTTP parser refuses before express sees them: headers over the 16 kB limit, a request
 * line or header that does not parse, a client too slow to send its headers. Node's own answer is a bare
 * status line with no body, where every other error of this API is an Open311 error list; this one gives
 * the same `[{code, description}]` (or `<errors>` when the request line asks for `.xml`) and closes the
 * connection, as Node does (the parser cannot go on after such a request).
 */
import type { Socket } from 'node:net';
import { CONTENT_TYPES, render } from './render';

interface ParserError extends Error {
  code?: string;
  rawPacket?: Buffer;
}

const ANSWERS: Readonly<Record<string, readonly [number, string, string]>> = {
  HPE_HEADER_OVERFLOW: [
    431,
    'Request Header Fields Too Large',
    'The request line and headers are larger than 16 kB: send a shorter URL or fewer headers (long cookies are the usual cause).',
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'The request was not received in time.'],
};

const BAD_REQUEST = [400, 'Bad Request', 'The request could not be read as HTTP.'] as const;

/** `.xml` in the path of the request line, when the parser got that far. */
function asksForXml(raw: Buffer | undefined): boolean {
  if (!raw) return false;
  const line = raw.subarray(0, 8192).toString('latin1').split('\r\n', 1)[0] ?? '';
  const target = line.split(' ')[1] ?? '';
  return /\.xml$/i.test(target.split('?', 1)[0] ?? '');
}

/** The raw HTTP response for a parser error, as written to the socket. */
export function clientErrorResponse(err: ParserError): string {
  const [status, reason, description] = (err.code && ANSWERS[err.code]) || BAD_REQUEST;
  const format = asksForXml(err.rawPacket) ? 'xml' : 'json';
  const body = render({ root: 'errors', body: [{ code: status, description }] }, format);
  return (
    `HTTP/1.1 ${status} ${reason}\r\n` +
    `Content-Type: ${CONTENT_TYPES[format]}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

/** The `clientError` listener of the HTTP server. */
export function answerClientError(err: ParserError, socket: Socket): void {
  // Nothing can be answered to a client that is gone, or once a response has started on this socket (the
  // test Node's own handler makes: `_httpMessage` is the response in flight on a keep-alive socket).
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  socket.end(clientErrorResponse(err));
}
