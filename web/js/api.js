/**
 * The daemon's HTTP API as the page uses it: JSON in and out, the session cookie sent by
 * the browser, and the CSRF token on every write. A failure becomes an `ApiError` with
 * the API's error code, message and, for a rule refusal, the rule and the window.
 */

let csrfToken = null;
let onSignedOut = () => {};

/** The token the session handed out; sent as `X-CSRF-Token` on writes. */
export function setCsrf(token) { csrfToken = token; }

/** What to do when the session is gone (a 401 on any call). */
export function whenSignedOut(fn) { onSignedOut = fn; }

/** A failed call. */
export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    const detail = (body && body.error) || {};
    super(detail.message || `HTTP ${status}`);
    this.status = status;
    this.code = detail.code || 'http_' + status;
    this.rule = detail.rule || null;
    this.field = detail.field || null;
    this.windowClosedAt = detail.window_closed_at || null;
    this.findings = detail.findings || null;
    this.retryAfter = retryAfter ? Number(retryAfter) : null;
  }
}

/** Calls `method path` with an optional JSON body; resolves to the JSON answer. */
export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const response = await fetch('/api/v1' + path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = new ApiError(response.status, data, response.headers.get('Retry-After'));
    if (response.status === 401 && path !== '/session') onSignedOut();
    throw error;
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body === undefined ? {} : body);
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);

/** A query string of the set values (`?a=1&b=x`), or ''. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '' || value === false) continue;
    q.set(key, String(value));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}
