// A WebSocket that comes back: it reconnects with a growing delay after an unexpected close,
// and reports its state (`connecting`, `open`, `waiting` with the seconds left, `closed`).

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
// A handshake that neither succeeds nor fails (a black-holed network) is given up after this.
const CONNECT_TIMEOUT_MS = 10_000;

export class ReconnectingSocket extends EventTarget {
  /**
   * @param {() => string} url the URL to (re)connect to, asked anew every time
   * @param {{
   *   shouldReconnect?: (event: CloseEvent) => boolean,
   *   hello?: () => (object|null),
   * }} options `hello`: the message to send first on every connection (asked anew each time),
   *   such as the `auth` message that signs it in; null for none
   */
  constructor(url, { shouldReconnect = () => true, hello = () => null } = {}) {
    super();
    this.url = url;
    this.shouldReconnect = shouldReconnect;
    this.hello = hello;
    this.ws = null;
    this.state = "closed";
    this.attempt = 0;
    this.timer = null;
    this.ticker = null;
    this.retryAt = 0;
    this.wanted = false;
    window.addEventListener("online", () => {
      if (this.wanted && this.state === "waiting") this.connectNow();
    });
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Connect (again) at once, dropping any connection or wait in progress. */
  connectNow() {
    this.wanted = true;
    this.#cancelWait();
    if (this.ws) {
      const old = this.ws;
      this.ws = null;
      old.onopen = old.onmessage = old.onclose = old.onerror = null;
      old.close(1000, "reconnecting");
    }
    this.#setState("connecting");
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.#scheduleRetry();
      return;
    }
    this.ws = ws;
    this.connectTimer = setTimeout(() => {
      if (this.ws !== ws || ws.readyState !== WebSocket.CONNECTING) return;
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      ws.close();
      this.ws = null;
      this.dispatchEvent(new CustomEvent("close", { detail: { code: 1006, reason: "timed out", wasClean: false } }));
      this.#scheduleRetry();
    }, CONNECT_TIMEOUT_MS);
    ws.onopen = () => {
      clearTimeout(this.connectTimer);
      // Before anything else: the server reads the first message as the sign-in.
      const first = this.hello();
      if (first) ws.send(JSON.stringify(first));
      this.attempt = 0;
      this.#setState("open");
      this.dispatchEvent(new Event("open"));
    };
    ws.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.dispatchEvent(new CustomEvent("message", { detail: message }));
    };
    ws.onclose = (event) => {
      clearTimeout(this.connectTimer);
      this.ws = null;
      this.dispatchEvent(new CustomEvent("close", { detail: event }));
      if (this.wanted && this.shouldReconnect(event)) this.#scheduleRetry();
      else this.#setState("closed");
    };
  }

  /** Close for good (until the next connectNow). */
  close(code = 1000, reason = "") {
    this.wanted = false;
    this.#cancelWait();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onopen = ws.onmessage = ws.onerror = null;
      ws.onclose = (event) => this.dispatchEvent(new CustomEvent("close", { detail: event }));
      ws.close(code, reason);
    }
    this.#setState("closed");
  }

  /** Send one JSON message; false when the socket is not open. */
  send(message) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  /** Resolves once open (connecting now if need be); rejects after `timeoutMs`. */
  whenOpen(timeoutMs = 8000) {
    if (this.isOpen) return Promise.resolve();
    if (this.state !== "connecting") this.connectNow();
    return new Promise((resolve, reject) => {
      const done = (error) => {
        clearTimeout(timer);
        this.removeEventListener("open", opened);
        this.removeEventListener("close", closed);
        if (error) reject(error);
        else resolve();
      };
      const opened = () => done(null);
      const closed = () => done(new Error("Could not connect to the server"));
      const timer = setTimeout(closed, timeoutMs);
      this.addEventListener("open", opened);
      this.addEventListener("close", closed);
    });
  }

  #scheduleRetry() {
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.retryAt = Date.now() + delay;
    this.timer = setTimeout(() => this.connectNow(), delay);
    const tick = () => this.#setState("waiting");
    tick();
    this.ticker = setInterval(tick, 1000);
  }

  #cancelWait() {
    clearTimeout(this.connectTimer);
    clearTimeout(this.timer);
    clearInterval(this.ticker);
    this.timer = this.ticker = null;
  }

  #setState(state) {
    this.state = state;
    const seconds = state === "waiting" ? Math.max(1, Math.ceil((this.retryAt - Date.now()) / 1000)) : 0;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, seconds, attempt: this.attempt } }));
  }
}
