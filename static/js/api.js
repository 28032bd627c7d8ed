// The REST API: JSON in, JSON out, every failure an ApiError with the server's stable code.

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0 when the server could not be reached)
   * @param {string} code the server's stable code (`network` when unreachable)
   * @param {string} message a human message
   * @param {number|null} retryAfter seconds, from `Retry-After`
   */
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export class Api {
  /**
   * @param {() => (string|null)} getToken the current JWT, if signed in
   * @param {{onUnauthorized?: () => void}} options called when the server refuses a token sent
   */
  constructor(getToken, { onUnauthorized = () => {} } = {}) {
    this.getToken = getToken;
    this.onUnauthorized = onUnauthorized;
  }

  get(path) {
    return this.request("GET", path);
  }

  post(path, body) {
    return this.request("POST", path, body);
  }

  async request(method, path, body = undefined, { token = this.getToken() } = {}) {
    const headers = { Accept: "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
      });
    } catch {
      throw new ApiError(0, "network", "Cannot reach the server. Check your connection.");
    }
    let payload = null;
    try {
      payload = await response.json();
    } catch {
      payload = null;
    }
    if (!response.ok) {
      if (response.status === 401 && token) this.onUnauthorized();
      const retry = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
      throw new ApiError(
        response.status,
        payload?.code ?? "internal",
        payload?.error ?? `The server answered ${response.status} ${response.statusText}`,
        Number.isFinite(retry) ? retry : null,
      );
    }
    return payload;
  }
}

/** The WebSocket URL for `path` on this server. The token never goes in it (URLs end up in
 * logs and error messages): send `authMessage(token)` first instead. */
export function socketUrl(path) {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

/** The first message of a socket opened by a signed-in user (null when signed out). */
export function authMessage(token) {
  return token ? { type: "auth", token } : null;
}

/** A sentence for an API failure, with the wait when the server asked for one. */
export function describeError(error) {
  if (!(error instanceof ApiError)) return String(error?.message ?? error);
  switch (error.code) {
    case "rate_limited":
      return error.retryAfter
        ? `Too many runs right now. Try again in ${error.retryAfter} s.`
        : error.message;
    case "busy":
      return `The server is busy: every sandbox is in use. Try again in ${error.retryAfter ?? "a few"} s.`;
    case "unavailable":
      return "The server cannot run code at the moment (a service it needs is down). Try again later.";
    case "payload_too_large":
      return `Too large: ${error.message}`;
    default:
      return error.message;
  }
}
