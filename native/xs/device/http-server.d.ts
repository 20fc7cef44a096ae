// Types of module "xtml-device/http-server" (http-server.js): Moddable's HTTP
// Server ($MODDABLE/modules/network/http/http.js), the part this app uses.
// The server calls `callback` on the connection (`this`) with one message at a
// time; what the callback returns matters for three of them, as typed below.

/** One connection of the server: the `this` of every callback. */
export interface HttpConnection {
  /**
   * Content-Length of the request being received. http.js-internal: a
   * callback that clears it during headersComplete makes the server answer
   * without reading the body (used to refuse an oversized body at once).
   */
  total?: number | undefined;
}

export interface HttpResponse {
  status?: number;
  /** Flat name, value list. */
  headers?: string[];
  /** true: the body is sent in fragments the callback returns for responseFragment. */
  body?: true | string | ArrayBuffer;
}

export type ServerMessage = -1 | 1 | 2 | 3 | 4 | 5 | 6 | 8 | 9 | 10;

/**
 * status: (path with query, method); header: (lower-case name, value);
 * headersComplete: return ArrayBuffer to receive the body whole as one
 * ArrayBuffer, false to skip it; requestComplete: (body); prepareResponse:
 * return the response; responseFragment: (bytes that fit) return the next
 * fragment, undefined when done.
 */
export type ServerCallback = (this: HttpConnection, message: ServerMessage, value?: unknown, etc?: unknown) =>
  void | undefined | false | ArrayBufferConstructor | HttpResponse | ArrayBuffer;

export class Server {
  constructor(options?: { port?: number });
  callback: ServerCallback;
  close(connections?: boolean): void;
  static readonly connection: 1;
  static readonly status: 2;
  static readonly header: 3;
  static readonly headersComplete: 4;
  static readonly requestFragment: 5;
  static readonly requestComplete: 6;
  static readonly prepareResponse: 8;
  static readonly responseFragment: 9;
  static readonly responseComplete: 10;
  static readonly error: -1;
}
