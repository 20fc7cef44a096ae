// The device transport of the REST API (src/api.ts): Moddable's HTTP server
// reads the request, this file enforces the body limit, calls
// DetectionApi.handle and writes status, content type and body. The desktop
// transport (host-sim/node/server.ts) does the same over node:http.
//
// Moddable's server hands the body over whole (one ArrayBuffer); a request
// whose Content-Length is over the limit (api.bodyLimit: frames and models have
// their own) is answered 413 from its headers, before any of the body is read. It does not take chunked request bodies
// (http.js drops the connection) nor keep-alive (it closes after each answer).
import { reasonPhrase, type ApiRequest, type ApiResponse, type DetectionApi } from 'xs-tinyml';
import { Server, type Request } from 'http';

/** A connection of the server, the `this` of its callback (typed as a Request by the SDK). */
type HttpConnection = Request;

/** What prepareResponse returns (the SDK's typing of the callback's result). */
interface HttpResponse {
  status: number;
  reason: string;
  headers: string[];
  /** true: the body is sent in fragments the callback returns for responseFragment. */
  body: true | string;
}

export interface TransportOptions {
  port: number;
  /** One trace line per request. */
  log?: boolean;
  /** Answers a request from its method and path before its body is read, or lets it through (undefined). */
  refuse?: (method: string, path: string) => ApiResponse | undefined;
}

/** Request headers the API reads besides Content-Type and Content-Length. */
const apiHeaders = new Set(['x-model-signature']);

/** One request and its answer, from the status line to the last byte sent. */
interface Exchange {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  headers: Record<string, string>;
  /** Content-Length, -1 when absent. */
  declared: number;
  body: Uint8Array | null;
  response: ApiResponse | null;
  /** The response body as UTF-8 and how much of it was sent. */
  bytes: Uint8Array;
  sent: number;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;   // a malformed escape stays as sent; the API names the bad value
  }
}

/** "/detect?width=96&height=96" as a path and its query parameters (the last of repeated names wins). */
export function splitTarget(target: string): { path: string; query: Record<string, string> } {
  const at = target.indexOf('?');
  const query: Record<string, string> = {};
  if (at < 0) return { path: target, query };
  for (const pair of target.slice(at + 1).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    query[decode(eq < 0 ? pair : pair.slice(0, eq))] = eq < 0 ? '' : decode(pair.slice(eq + 1));
  }
  return { path: target.slice(0, at), query };
}

/**
 * Make http.js answer now, without reading the request body. It has no public
 * way to: told to skip the body (headersComplete returning false) it still
 * reads Content-Length bytes before it answers, so a client declaring 100 MB
 * would hold the connection until it sent them. http.js decides between
 * reading a body and answering by whether its private `total` (the declared
 * length) is set, right after headersComplete returns; clearing it answers at
 * once, and the connection is closed after the answer. This is the only use of
 * http.js internals; test/moddable.test.ts pins the http.js it was verified
 * with (SDK 8.2.3) and fails when the SDK's copy differs.
 */
function answerBeforeBody(connection: HttpConnection): void {
  (connection as unknown as { total: number | undefined }).total = undefined;
}

/** Handles the request of an exchange and makes the answer's status line and headers; the body goes in fragments. */
function prepareResponse(api: DetectionApi, exchange: Exchange, log: boolean): HttpResponse {
  const started = Date.now();
  const request: ApiRequest = {
    method: exchange.method,
    path: exchange.path,
    query: exchange.query,
    contentType: exchange.contentType,
    headers: exchange.headers,
    body: exchange.body,
  };
  exchange.response ??= api.handle(request);
  exchange.body = null;   // the frame is no longer needed while the answer is sent
  const response = exchange.response;
  exchange.bytes = new Uint8Array(ArrayBuffer.fromString(response.body));
  if (log) trace(`${exchange.method} ${exchange.path} ${response.status} ${Date.now() - started} ms\n`);
  const headers = ['content-type', response.contentType, 'cache-control', 'no-store', 'content-length', String(exchange.bytes.byteLength)];
  for (const [name, text] of Object.entries(response.headers ?? {})) headers.push(name, text);
  // sent in fragments of what the socket takes: http.js writes a one-piece
  // body only when all of it fits the socket's buffer at once
  return { status: response.status, reason: reasonPhrase(response.status), headers, body: true };
}

/** Serve `api` on `options.port` until the server is closed. */
export function serveApi(api: DetectionApi, options: TransportOptions): Server {
  const exchanges = new WeakMap<HttpConnection, Exchange>();
  const server = new Server({ port: options.port });
  const log = options.log ?? false;

  server.callback = function (message, value, etc) {
    const exchange = exchanges.get(this);
    switch (message) {
      case Server.status: {
        const { path, query } = splitTarget(String(value));
        exchanges.set(this, {
          method: String(etc), path, query, contentType: undefined, headers: {}, declared: -1,
          body: null, response: null, bytes: new Uint8Array(0), sent: 0,
        });
        return;
      }
      case Server.header:
        if (exchange === undefined) return;
        if (value === 'content-type') exchange.contentType = String(etc);
        else if (value === 'content-length') exchange.declared = /^[0-9]{1,15}$/.test(String(etc)) ? Number(etc) : -1;
        else if (apiHeaders.has(String(value))) exchange.headers[String(value)] = String(etc);
        return;
      case Server.headersComplete: {
        if (exchange === undefined) return;
        const limit = api.bodyLimit(exchange.method, exchange.path);
        exchange.response = options.refuse?.(exchange.method, exchange.path) ??
          (exchange.declared > limit ? api.tooLarge(exchange.method, exchange.path, exchange.declared) : null);
        if (exchange.response !== null) {
          answerBeforeBody(this);
          return;
        }
        // the body whole, as one ArrayBuffer: http.js takes the constructor
        // itself, which the SDK's typing of the callback's result leaves out
        return ArrayBuffer as unknown as ArrayBuffer;
      }
      case Server.requestComplete:
        if (exchange !== undefined && value instanceof ArrayBuffer) exchange.body = new Uint8Array(value);
        return;
      case Server.prepareResponse:
        if (exchange === undefined) return { status: 400, reason: reasonPhrase(400), headers: [], body: '' };
        // in a function of its own: this callback's locals would otherwise sit on the
        // stack under every request's frames (a device's stack is a few hundred slots)
        return prepareResponse(api, exchange, log);
      case Server.responseFragment: {
        if (exchange === undefined || exchange.sent >= exchange.bytes.byteLength) return undefined;
        const room = typeof value === 'number' && value > 0 ? value : 512;
        const end = Math.min(exchange.bytes.byteLength, exchange.sent + room);
        const fragment = exchange.bytes.slice(exchange.sent, end).buffer;
        exchange.sent = end;
        return fragment;
      }
      case Server.responseComplete:
      case Server.error:
        exchanges.delete(this);
        return;
      default:
        return;
    }
  };
  return server;
}
