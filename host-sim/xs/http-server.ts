// Module "http" on the desktop XS host: a Server with the interface of
// Moddable's http Server ($MODDABLE/modules/network/http/http.js), the part
// the device transport uses, that listens on nothing. device-check.ts drives its callback with the messages
// Moddable's http.js sends for a request, so the device transport
// (native/xs/device/http-transport.ts) and the app's main() run here as on a
// board. Host-only.

/**
 * One connection of the server: the `this` of every callback (the SDK's
 * typing calls it a Request). `total` is the request's Content-Length, which
 * http.js keeps privately: a callback that clears it during headersComplete
 * is answered without the body being read.
 */
export interface Request {
  total?: number | undefined;
}

/**
 * status: (path with query, method); header: (lower-case name, value);
 * headersComplete: return ArrayBuffer to receive the body whole, false to skip
 * it; requestComplete: (body); prepareResponse: return the response;
 * responseFragment: (bytes that fit) return the next fragment, undefined when done.
 */
export type ServerCallback = (this: Request, message: number, value?: unknown, etc?: unknown) => unknown;

/** Every Server made, newest last, for the driver. */
export const servers: Server[] = [];

export class Server {
  static readonly connection = 1;
  static readonly status = 2;
  static readonly header = 3;
  static readonly headersComplete = 4;
  static readonly requestFragment = 5;
  static readonly requestComplete = 6;
  static readonly prepareResponse = 8;
  static readonly responseFragment = 9;
  static readonly responseComplete = 10;
  static readonly error = -1;

  readonly port: number;
  callback: ServerCallback = () => undefined;
  closed = false;

  constructor(options: { port?: number } = {}) {
    this.port = options.port ?? 80;
    servers.push(this);
  }

  close(): void {
    this.closed = true;
  }
}

