// `fleet serve`: the controller (controller.ts) behind node:http on loopback,
// with its web page (host-sim/web/fleet/) at /, the REST API under /fleet and
// the model bytes desktop devices fetch (GET /fleet/models/<sha256>), and
// optionally a Mosquitto of its own (broker.ts). Node-only.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorResponse, type ApiResponse } from '../../../src/index.js';
import { Mosquitto } from './broker.js';
import { FleetController, type ControllerOptions } from './controller.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const webDir = join(root, 'host-sim/web');

const staticFiles: Readonly<Record<string, [string, string]>> = Object.freeze({
  '/': [join(webDir, 'fleet/index.html'), 'text/html; charset=utf-8'],
  '/fleet.js': [join(webDir, 'fleet/fleet.js'), 'text/javascript; charset=utf-8'],
  '/fleet.css': [join(webDir, 'fleet/fleet.css'), 'text/css; charset=utf-8'],
});

/** Largest model a rollout takes, bytes. */
export const maxRolloutBytes = 16 << 20;

export interface FleetServerOptions extends Omit<ControllerOptions, 'broker' | 'publicUrl'> {
  /** The broker's URL; absent with embeddedBroker. */
  broker?: string;
  /** Start Mosquitto on a free port for this controller. */
  embeddedBroker?: boolean;
  host?: string;
  /** 0: a free port. */
  port?: number;
  /** Offer model URLs to devices (they still get chunks over MQTT); true by default. */
  httpModels?: boolean;
}

export interface RunningFleet {
  controller: FleetController;
  broker: Mosquitto | undefined;
  server: Server;
  url: string;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | null> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolvePromise(total > limit ? null : new Uint8Array(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

export async function startFleetServer(options: FleetServerOptions): Promise<RunningFleet> {
  let broker: Mosquitto | undefined;
  let brokerUrl = options.broker;
  if (options.embeddedBroker) {
    broker = await Mosquitto.start();
    brokerUrl = broker.url;
  }
  if (brokerUrl === undefined) throw new Error('give --broker URL or --embedded-broker');
  let controller: FleetController;
  try {
    controller = await FleetController.start({ ...options, broker: brokerUrl });
  } catch (error) {
    await broker?.close();
    throw error;
  }
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = req.method ?? 'GET';
      const file = method === 'GET' && Object.hasOwn(staticFiles, url.pathname) ? staticFiles[url.pathname] : undefined;
      if (file !== undefined) {
        res.writeHead(200, { 'Content-Type': file[1], 'Cache-Control': 'no-store' });
        res.end(readFileSync(file[0]));
        return;
      }
      const model = /^\/fleet\/models\/([0-9a-f]{64})$/.exec(url.pathname);
      if (model !== null && method === 'GET') {
        const bytes = controller.modelBytes(model[1]!);
        if (bytes !== undefined) {
          res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) });
          res.end(bytes);
          return;
        }
      }
      let response: ApiResponse;
      try {
        const body = method === 'POST' ? await readBody(req, maxRolloutBytes) : new Uint8Array(0);
        if (body === null) {
          response = errorResponse(413, 'BODY_TOO_LARGE', `the body is over the limit of ${maxRolloutBytes} bytes`);
        } else {
          response = controller.handle({
            method, path: url.pathname, query: Object.fromEntries(url.searchParams), contentType: req.headers['content-type'],
            headers: Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string')),
            body,
          });
        }
      } catch (error) {
        response = errorResponse(500, 'INTERNAL', error instanceof Error ? error.message : String(error));
      }
      res.writeHead(response.status, { 'Content-Type': response.contentType, 'Cache-Control': 'no-store', ...(response.headers ?? {}) });
      res.end(response.body);
    })();
  });
  server.keepAliveTimeout = 65_000;
  try {
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 8090, options.host ?? '127.0.0.1', () => resolvePromise());
    });
  } catch (error) {
    await controller.close();
    await broker?.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const url = `http://${address.address}:${address.port}`;
  if (options.httpModels !== false) controller.publicUrl = url;
  return {
    controller, broker, server, url,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await controller.close();
      await broker?.close();
    },
  };
}
