// The device app (native/xs/device/main.ts) on the desktop XS host, its HTTP
// server replaced by one that listens on nothing (http-server.ts): requests
// come in on standard input, one JSON line each, and go through the server
// callback of the device transport (http-transport.ts) message by message as
// Moddable's http.js sends them; the answers go out as JSON lines.
//
//   device-check --config JSON      (cwd: a folder with detector.tflite and known-frames.gray)
//   in:  {"method", "target", "headers": [[name, value]...], "body": hex}
//   out: {"answer": {"status", "reason"?, "headers", "body", "bodyRead"}}
//   in:  {"method": "HEAP"}: out {"heap": [...]}, the XS heaps after a collection
//        (xtml-host's heap(true)), for measuring what a request keeps
//
// As http.js does: Content-Length is the connection's `total`; a
// headersComplete callback that clears it is answered without the body being
// read (bodyRead false); one that returns ArrayBuffer gets the whole body in
// requestComplete. The app's own trace lines go to standard output too; the
// answers are the lines that start with {"answer":.
import * as httpServer from 'http';
import { Server, type Request as HttpConnection } from 'http';
import main from 'xtml-device/main';
import { fromHex, heap, readLine } from 'xtml-host';

declare function trace(...values: unknown[]): void;

interface WireRequest {
  method: string;
  target: string;
  headers: [string, string][];
  body: string;
}

// this host's http-server.ts also exports the servers it made
const servers = (httpServer as unknown as { servers: Server[] }).servers;
main();
const server = servers[servers.length - 1];
if (server === undefined) throw new Error('main() started no HTTP server');

for (let line = readLine(); line !== undefined; line = readLine()) {
  const request = JSON.parse(line) as WireRequest;
  // not a request: the XS heaps after a collection (xtml-host's heap()), for measurements
  if (request.method === 'HEAP') {
    trace(JSON.stringify({ heap: heap(true) }) + '\n');
    continue;
  }
  const body = fromHex(request.body);
  const connection: HttpConnection & Record<string, unknown> = {};
  const call = (message: number, value?: unknown, etc?: unknown): unknown =>
    (server.callback as (this: HttpConnection, m: number, v?: unknown, e?: unknown) => unknown).call(connection, message, value, etc);
  call(Server.connection);
  call(Server.status, request.target, request.method);
  let length: number | undefined;
  for (const [name, value] of request.headers) {
    if (name.toLowerCase() === 'content-length') length = Number(value);
    call(Server.header, name.toLowerCase(), value);
  }
  connection.total = length;
  const wants = call(Server.headersComplete);
  let bodyRead = false;
  if (connection.total !== undefined && connection.total > 0) {
    if (wants === ArrayBuffer) {
      bodyRead = true;
      call(Server.requestComplete, body);
    } else {
      call(Server.requestComplete);
    }
  } else if (length === undefined || length === 0) {
    call(Server.requestComplete);
  }
  const response = call(Server.prepareResponse) as { status?: number; reason?: string; headers?: string[]; body?: unknown };
  let text = '';
  if (response.body === true) {
    for (let fragment = call(Server.responseFragment, 100); fragment !== undefined; fragment = call(Server.responseFragment, 100)) {
      text += String.fromArrayBuffer(fragment as ArrayBuffer);
    }
  } else if (typeof response.body === 'string') {
    text = response.body;
  }
  call(Server.responseComplete);
  trace(JSON.stringify({ answer: { status: response.status, ...(response.reason !== undefined ? { reason: response.reason } : {}), headers: response.headers ?? [], body: text, bodyRead } }) + '\n');
}
