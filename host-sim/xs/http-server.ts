// Module "xtml-device/http-server" on the desktop XS host: a Server with the
// interface of Moddable's http Server (native/xs/device/http-server.d.ts) that
// listens on nothing. device-check.ts drives its callback with the messages
// Moddable's http.js sends for a request, so the device transport
// (native/xs/device/http-transport.ts) and the app's main() run here as on a
// board. Host-only.
import type { HttpConnection, ServerCallback } from 'xtml-device/http-server';

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

export type { HttpConnection };
