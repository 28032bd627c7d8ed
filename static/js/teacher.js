// The teacher view (`/teacher`): every session, live ones first, refreshed every few seconds;
// one of them followed live over `/ws/sessions/{id}/watch` (or read back once it is over).

import { Api, ApiError, authMessage, describeError, socketUrl } from "./api.js";
import { Auth, AuthDialog, mountAccount } from "./auth.js";
import { ConsoleView } from "./console.js";
import { byId, h, setLiveText } from "./dom.js";
import { CodeEditor } from "./editor.js";
import { clockTime, describeExit, duration, shortDateTime, statusLabel, statusTone } from "./format.js";
import { ReconnectingSocket } from "./socket.js";

const REFRESH_MS = 3000;
const STATE_ORDER = { running: 0, aborted: 1, finished: 1 };

const auth = new Auth();
const api = new Api(() => auth.token, { onUnauthorized: () => auth.expired() });
auth.attach(api);
const dialog = new AuthDialog(auth, {
  defaultRole: "teacher",
  intro: "The teacher view needs a teacher account.",
});
mountAccount(byId("account"), auth, dialog, {
  extraLinks: () => [h("a", { href: "/", class: "nav-link" }, "IDE")],
});

let languageNames = {};
const languageName = (id) => languageNames[id] ?? id;

// -- the list of sessions ------------------------------------------------------------------

class SessionList {
  constructor({ list, status, updated, onOpen, onUpdate }) {
    this.onUpdate = onUpdate;
    this.list = list;
    this.status = status;
    this.updated = updated;
    this.onOpen = onOpen;
    this.rows = new Map(); // id → {item, button, parts}
    this.sessions = [];
    this.selected = null;
    this.timer = null;
    this.running = false;
    document.addEventListener("visibilitychange", () => {
      if (this.running && !document.hidden) this.refresh();
    });
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.refresh();
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
    this.rows.clear();
    this.list.replaceChildren();
  }

  async refresh() {
    clearTimeout(this.timer);
    if (!this.running) return;
    try {
      const { sessions } = await api.get("/api/sessions");
      if (!this.running) return;
      this.sessions = sessions;
      this.#render();
      this.onUpdate();
      this.updated.textContent = `Updated ${clockTime(new Date().toISOString())}`;
      this.status.textContent = sessions.length ? "" : "No sessions yet. They appear here as soon as someone runs a program in the IDE.";
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        auth.expired();
        return;
      }
      this.status.textContent = `Could not refresh the sessions: ${describeError(error)}`;
    }
    if (this.running && !document.hidden) this.timer = setTimeout(() => this.refresh(), REFRESH_MS);
  }

  find(id) {
    return this.sessions.find((session) => session.id === id) ?? null;
  }

  select(id) {
    this.selected = id;
    for (const [rowId, row] of this.rows) {
      if (rowId === id) row.button.setAttribute("aria-current", "true");
      else row.button.removeAttribute("aria-current");
    }
  }

  #render() {
    const ordered = [...this.sessions].sort(
      (a, b) => (STATE_ORDER[a.state] ?? 1) - (STATE_ORDER[b.state] ?? 1) || b.startedAt.localeCompare(a.startedAt),
    );
    const seen = new Set();
    const items = ordered.map((session) => {
      seen.add(session.id);
      let row = this.rows.get(session.id);
      if (!row) {
        row = this.#row(session);
        this.rows.set(session.id, row);
      }
      this.#fill(row, session);
      return row.item;
    });
    for (const id of [...this.rows.keys()]) if (!seen.has(id)) this.rows.delete(id);
    const current = [...this.list.children];
    if (current.length !== items.length || current.some((item, i) => item !== items[i])) {
      const focused = document.activeElement;
      this.list.replaceChildren(...items);
      if (focused && this.list.contains(focused)) focused.focus();
    }
  }

  #row(session) {
    const parts = {
      name: h("span", { class: "item-title" }),
      state: h("span", { class: "badge" }),
      sub: h("span", { class: "item-sub" }),
    };
    const button = h(
      "button",
      { type: "button", class: "item session-item", dataset: { sessionId: session.id }, onclick: () => this.onOpen(session.id) },
      parts.name,
      parts.state,
      parts.sub,
    );
    if (session.id === this.selected) button.setAttribute("aria-current", "true");
    return { item: h("li", {}, button), button, parts };
  }

  #fill(row, session) {
    const { name, state, sub } = row.parts;
    setText(name, session.userName);
    let stateText;
    let tone;
    if (session.state === "running") {
      stateText = "Live";
      tone = "live";
    } else if (session.state === "aborted") {
      stateText = "Aborted";
      tone = "bad";
    } else {
      stateText = statusLabel(session.status);
      tone = statusTone(session.status);
    }
    setText(state, stateText);
    state.className = `badge ${tone}`;
    const ended = session.endedAt ? ` · ${duration(new Date(session.endedAt) - new Date(session.startedAt))}` : "";
    setText(sub, `${languageName(session.language)} · started ${shortDateTime(session.startedAt)}${ended}`);
    row.button.dataset.state = session.state;
  }
}

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

// -- one session, followed -------------------------------------------------------------------

class SessionWatch {
  constructor() {
    this.title = byId("watch-title");
    this.meta = byId("watch-meta");
    this.status = byId("watch-status");
    this.editor = new CodeEditor(byId("watch-editor"), { id: "watch-code", label: "The student's code (read-only)", readOnly: true });
    this.console = new ConsoleView(byId("watch-console"), { stdinMarker: "student typed: " });
    this.sessionId = null;
    this.ended = false;
    this.retry = false;
    this.socket = new ReconnectingSocket(() => socketUrl(`/ws/sessions/${encodeURIComponent(this.sessionId)}/watch`), {
      hello: () => authMessage(auth.token),
      shouldReconnect: (event) => this.retry || (!this.ended && ![1000, 4001, 4003, 4004].includes(event.code)),
    });
    this.socket.addEventListener("message", (event) => this.#onMessage(event.detail));
    this.socket.addEventListener("close", (event) => this.#onClose(event.detail));
    this.socket.addEventListener("state", (event) => {
      const { state, seconds } = event.detail;
      if (state === "waiting") {
        setLiveText(this.status, "Connection lost: reconnecting…", `Connection lost: reconnecting in ${seconds} s`);
        this.status.dataset.tone = "bad";
      } else if (state === "connecting" && !this.ended) this.#status("Connecting…", "neutral");
    });
  }

  open(id) {
    this.sessionId = id;
    this.session = null;
    this.ended = false;
    this.retry = false;
    this.title.textContent = "Loading the session…";
    this.meta.textContent = "";
    this.editor.value = "";
    this.console.clear();
    this.socket.connectNow();
  }

  close() {
    this.sessionId = null;
    this.socket.close();
  }

  #onMessage(message) {
    switch (message.type) {
      case "snapshot":
        this.retry = false;
        this.#showSession(message.session);
        this.console.clear();
        for (const event of message.events) this.#showEvent(event);
        if (message.session.state === "running" && !this.ended) this.#status("Watching live", "live");
        break;
      case "error":
        if (message.code === "unavailable") {
          this.retry = true;
          this.console.notice(`Live events are unavailable (${message.message}).`, "warn");
        } else {
          this.console.notice(message.message, "warn");
        }
        break;
      case "pong":
        break;
      default:
        this.#showEvent(message);
    }
  }

  /** The line under the title, with the end time once the list of sessions knows it. */
  showTimes() {
    if (!this.session) return;
    const summary = sessions.find(this.session.id);
    const ended = summary?.endedAt ? ` · ended ${shortDateTime(summary.endedAt)}` : "";
    const text = `Started ${shortDateTime(this.session.startedAt)}${ended}`;
    if (this.meta.textContent !== text) this.meta.textContent = text;
  }

  #showSession(session) {
    this.session = session;
    this.title.textContent = `${session.userName} · ${languageName(session.language)}`;
    this.showTimes();
    const summary = sessions.find(session.id);
    if (this.editor.value !== session.code) this.editor.value = session.code;
    this.editor.setLanguage(session.language);
    if (session.state !== "running" && !this.ended) {
      const status = summary?.status;
      this.#status(session.state === "aborted" ? "Aborted: the server running it went away" : `Finished: ${statusLabel(status)}`, session.state === "aborted" ? "bad" : statusTone(status));
    }
  }

  #showEvent(event) {
    switch (event.type) {
      case "stdout":
      case "stderr":
      case "stdin":
        this.console.write(event.type, event.data);
        break;
      case "stage":
        this.console.notice(event.stage === "compile" ? "Compiling…" : "Running…");
        break;
      case "truncated": {
        const what = event.stream === "stdin" ? "typed input" : event.stream;
        this.console.notice(`More ${what} is not shown: this session stored all it may (${event.limitBytes} bytes).`, "warn");
        break;
      }
      case "exit": {
        this.ended = true;
        const summary = describeExit(event);
        this.console.notice(`Process finished: ${summary}`, statusTone(event.status));
        this.#status(`Finished: ${summary}`, statusTone(event.status));
        sessions.refresh();
        break;
      }
      default:
        break;
    }
  }

  #onClose(event) {
    if (event.code === 4003) this.#status("You may not watch this session.", "bad");
    else if (event.code === 4004) this.#status("This session does not exist (any more).", "bad");
    else if (event.code === 4001) {
      this.#status("Your sign-in has expired: sign in again.", "bad");
      auth.expired();
    } else if (event.code === 1000 && !this.ended && !this.retry && this.session?.state === "running") {
      this.#status("The session is over.", "neutral");
    }
  }

  #status(text, tone) {
    delete this.status.dataset.spoken;
    this.status.textContent = text;
    this.status.dataset.tone = tone;
  }
}

const sessions = new SessionList({
  list: byId("sessions"),
  status: byId("sessions-status"),
  updated: byId("sessions-updated"),
  onOpen: (id) => openSession(id, { focus: true }),
  onUpdate: () => watch.showTimes(),
});
const watch = new SessionWatch();

function openSession(id, { focus = false } = {}) {
  sessions.select(id);
  history.replaceState(null, "", `#session=${encodeURIComponent(id)}`);
  watch.open(id);
  if (focus) byId("watch-title").focus();
}

// -- who may see the page ----------------------------------------------------------------------

function showGate() {
  const gate = byId("gate");
  const teacher = auth.signedIn && auth.isTeacher;
  gate.hidden = teacher;
  byId("sessions-pane").hidden = !teacher;
  byId("watch-pane").hidden = !teacher;
  if (teacher) {
    sessions.start();
    const wanted = new URLSearchParams(location.hash.slice(1)).get("session");
    if (wanted && watch.sessionId !== wanted) openSession(wanted);
    return;
  }
  sessions.stop();
  watch.close();
  if (auth.signedIn) {
    byId("gate-text").textContent = `You are signed in as ${auth.user.name}, a ${auth.user.role}. Watching sessions needs a teacher account.`;
    byId("gate-actions").replaceChildren(
      h("button", { type: "button", class: "primary", onclick: () => { auth.signOut(); dialog.open("signin"); } }, "Sign in as a teacher"),
      h("a", { href: "/", class: "nav-link" }, "Back to the IDE"),
    );
  } else {
    byId("gate-text").textContent = "Sign in with a teacher account to see your students' sessions and follow them live.";
    byId("gate-actions").replaceChildren(
      h("button", { type: "button", class: "primary", onclick: () => dialog.open("signin") }, "Sign in"),
      h("button", { type: "button", class: "ghost", onclick: () => dialog.open("register") }, "Create a teacher account"),
    );
  }
}

auth.addEventListener("change", showGate);

async function loadLanguages() {
  try {
    const { languages } = await api.get("/api/languages");
    languageNames = Object.fromEntries(languages.map((language) => [language.id, language.name]));
  } catch {
    // The ids are shown instead of the names.
  }
}

await loadLanguages();
await auth.restore();
