// Requests to the REST API (src/api.ts): answers and failures as values, never thrown.
import { messageOf } from './format.js';

/** The response body as JSON; a body that is not JSON becomes an error object. */
export async function jsonOf(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return { error: { code: `HTTP_${response.status}`, message: text.slice(0, 300) || response.statusText || 'the response is not JSON' } };
  }
}

/**
 * One API request: {status, value} (parsed JSON, or the text when `asText`) on
 * a 2xx answer, else {status, error: {code, message}}; status 0 means no answer.
 */
export async function request(path, init = {}, asText = false) {
  try {
    const response = await fetch(path, init);
    if (asText && response.ok) return { status: response.status, value: await response.text() };
    const payload = await jsonOf(response);
    if (!response.ok || payload.error) {
      return { status: response.status, error: payload.error ?? { code: `HTTP_${response.status}`, message: 'the response has no error object' } };
    }
    return { status: response.status, value: payload };
  } catch (error) {
    return { status: 0, error: { code: 'NETWORK_ERROR', message: `the server did not answer: ${messageOf(error)}` } };
  }
}
