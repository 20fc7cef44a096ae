// HTTP helpers the API tests share: a body streamed in pieces with a declared
// Content-Length, or chunked with none, so the server must decide on the limit
// from the headers or while reading.
import { request } from 'node:http';

export interface JsonAnswer {
  status: number;
  json: Record<string, unknown>;
}

/** `total` bytes to `url` (path and query included) in 16 KB pieces; Content-Length as given, or chunked when undefined. */
export function sendStreamed(url: string, total: number, contentLength: number | undefined, method = 'POST'): Promise<JsonAnswer> {
  return new Promise((resolvePromise, reject) => {
    const target = new URL(url);
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream' };
    if (contentLength !== undefined) headers['content-length'] = contentLength;
    const req = request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
    });
    // the server may answer and close before all of the body is sent
    req.on('error', (error) => (error as NodeJS.ErrnoException).code === 'EPIPE' || (error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error));
    const piece = Buffer.alloc(16 * 1024, 0x80);
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        const n = Math.min(piece.length, total - sent);
        sent += n;
        if (!req.write(piece.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

/** The value of an unlabelled or labelled sample in Prometheus text ("name" or 'name{a="b"}'), NaN when absent. */
export function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line === undefined ? NaN : Number(line.slice(name.length + 1));
}
