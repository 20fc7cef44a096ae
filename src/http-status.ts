// The reason phrase of each status the REST API answers with, for transports
// that write the status line themselves. Moddable's http module knows only
// the statuses of RFC 2616 and writes "OK" after any other (so 422 went out as
// "HTTP/1.1 422 OK"); the device transport passes these instead. The phrases
// are RFC 9110's, as Node's http module writes them on the desktop.
const reasons: Readonly<Record<number, string>> = Object.freeze({
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
});

/** The statuses the API may answer with. */
export const apiStatuses: readonly number[] = Object.freeze(Object.keys(reasons).map(Number));

/** The reason phrase for `status`; the class's generic phrase for a status the API does not use. */
export function reasonPhrase(status: number): string {
  return reasons[status] ?? (status >= 500 ? 'Server Error' : status >= 400 ? 'Client Error' : 'OK');
}
