// The agent's REST APIs, as the page calls them (same origin: the browser sends the
// REST plugin's credentials, a basic-auth login or the token cookie, by itself).

/** The agent asks for credentials (401) or denies the call (403). */
export class AuthError extends Error {
  constructor(status, path) {
    super(status === 401 ? 'sign-in required' : `not allowed: ${path}`);
    this.status = status;
  }
}

/** Any other failed call: the status and the agent's error text. */
export class ApiError extends Error {
  constructor(status, path, text) {
    super(`${path}: ${status} ${text}`.trim());
    this.status = status;
  }
}

async function call(method, path) {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
  });
  if (response.status === 401 || response.status === 403) {
    throw new AuthError(response.status, path);
  }
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      message = JSON.parse(text).error ?? text;
    } catch {
      // not JSON: the text as it is
    }
    throw new ApiError(response.status, path, message);
  }
  return text ? JSON.parse(text) : null;
}

/** `GET path` as JSON. */
export const get = (path) => call('GET', path);
/** `PUT path`, answered with JSON. */
export const put = (path) => call('PUT', path);
/** `POST path`, answered with JSON. */
export const post = (path) => call('POST', path);

/** A query string part: `q({key: 'a/b'})` is `key=a%2Fb`. */
export function q(params) {
  return new URLSearchParams(params).toString();
}

/**
 * Follows `/ui/events`: calls `onTopic(name)` for each change (`hello` after every
 * (re)connect), `onLive(bool)` as the stream opens and drops. EventSource reconnects by
 * itself.
 */
export function follow(onTopic, onLive) {
  const source = new EventSource('/ui/events');
  source.addEventListener('open', () => onLive(true));
  source.addEventListener('error', () => onLive(false));
  for (const topic of ['hello', 'agent', 'values', 'programs']) {
    source.addEventListener(topic, () => onTopic(topic));
  }
  return source;
}
