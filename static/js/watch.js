// One student full size: the code of their current run and its console, live; when they start
// another run the view switches to it.

import { authMessage, describeError, socketUrl } from "./api.js";
import { ConsoleView } from "./console.js";
import { h, setLiveText } from "./dom.js";
import { CodeEditor } from "./editor.js";
import { StudentFollow, showSessionEvent } from "./follow.js";
import { clockTime, duration, shortDateTime, statusLabel, statusTone } from "./format.js";
import { ReconnectingSocket } from "./socket.js";

const EARLIER_RUNS = 20;

export class StudentWatch {
  /**
   * @param {{title: HTMLElement, meta: HTMLElement, status: HTMLElement, editor: HTMLElement,
   *   console: HTMLElement, codeTitle: HTMLElement, runs: HTMLElement, runList: HTMLElement, live: HTMLElement}} elements
   * @param {{api: import("./api.js").Api, token: () => (string|null), languageName: (id: string) => string,
   *   onExpired: () => void}} deps
   */
  constructor(elements, { api, token, languageName, onExpired }) {
    this.api = api;
    this.codeTitle = elements.codeTitle;
    this.runs = elements.runs;
    this.runList = elements.runList;
    this.liveButton = elements.live;
    this.liveButton.addEventListener("click", () => this.#resume());
    this.runs.addEventListener("toggle", () => {
      if (this.runs.open) this.#loadRuns();
    });
    this.runs.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || !this.runs.open) return;
      this.runs.open = false;
      this.runs.querySelector("summary").focus();
    });
    // An earlier run, read back over `/ws/sessions/{id}/watch` while the live view is paused.
    this.readingId = null;
    this.reader = new ReconnectingSocket(() => socketUrl(`/ws/sessions/${encodeURIComponent(this.readingId)}/watch`), {
      hello: () => authMessage(token()),
      shouldReconnect: () => false,
    });
    this.reader.addEventListener("message", (event) => this.#onReading(event.detail));
    this.title = elements.title;
    this.meta = elements.meta;
    this.status = elements.status;
    this.editor = new CodeEditor(elements.editor, { id: "watch-code", label: "The student's code (read-only)", readOnly: true });
    this.console = new ConsoleView(elements.console, { stdinMarker: "student typed: " });
    this.token = token;
    this.languageName = languageName;
    this.onExpired = onExpired;
    this.follow = null;
    this.student = null;
    this.session = null;
    this.ended = false;
  }

  /** Follow `student` ({id, name}) of class `classId`. */
  open(classId, student) {
    this.close();
    this.classId = classId;
    this.student = student;
    this.runs.open = false;
    this.runList.replaceChildren();
    this.session = null;
    this.ended = false;
    this.title.textContent = student.name;
    this.meta.textContent = "Connecting…";
    this.editor.value = "";
    this.console.clear();
    this.#status("Connecting…", "neutral");
    this.follow = new StudentFollow({
      classId,
      studentId: student.id,
      token: this.token,
      sink: {
        snapshot: (session, events) => this.#snapshot(session, events),
        switched: (session) => this.#switched(session),
        waiting: () => this.#waiting(),
        code: (shared) => this.#typed(shared),
        event: (event) => this.#event(event),
        problem: (message) => this.console.notice(message.message, "warn"),
        connection: (state, seconds) => {
          if (state === "waiting") setLiveText(this.status, "Connection lost: reconnecting…", `Connection lost: reconnecting in ${seconds} s`);
          if (state === "waiting") this.status.dataset.tone = "bad";
        },
        refused: (close) => this.#refused(close),
      },
    });
    this.follow.start();
  }

  close() {
    this.follow?.stop();
    this.follow = null;
    this.reader.close();
    this.readingId = null;
    this.liveButton.hidden = true;
    this.student = null;
  }

  get studentId() {
    return this.student?.id ?? null;
  }

  #snapshot(session, events) {
    this.session = session;
    if (this.runs.open) this.#loadRuns();
    this.ended = session.state !== "running" || events.some((event) => event.type === "exit");
    this.title.textContent = `${session.userName ?? this.student.name} · ${this.languageName(session.language)}`;
    this.meta.textContent = `Run started ${shortDateTime(session.startedAt)}`;
    if (this.editor.value !== session.code) this.editor.value = session.code ?? "";
    this.codeTitle.textContent = "Code of this run";
    this.console.clear();
    let last = null;
    for (const event of events) last = showSessionEvent(this.console, event) ?? last;
    // The exit may be stored before the session is marked finished: it has the last word.
    if (last) this.#status(`Finished: ${last.summary}`, last.tone);
    else if (session.state === "running") this.#status("Watching live", "live");
    else if (session.state === "aborted") this.#status("Aborted: the server running it went away", "bad");
    else this.#status("Finished", "neutral");
  }

  #switched(session) {
    this.console.clear();
    this.console.notice(`${this.student.name} started a new run.`);
    this.title.textContent = `${session.userName ?? this.student.name} · ${this.languageName(session.language)}`;
    if (session.code !== undefined) this.editor.value = session.code;
  }

  #waiting() {
    this.session = null;
    this.title.textContent = this.student.name;
    this.meta.textContent = "No run yet";
    this.codeTitle.textContent = "Code";
    this.editor.value = "";
    this.console.clear();
    this.console.notice(`${this.student.name} has not run a program yet. Their next run shows here as it starts.`);
    this.#status("Waiting for a run", "neutral");
  }

  /** What the student's editor holds now, as they type. */
  #typed(shared) {
    if (this.readingId) return;
    if (this.editor.value !== shared.code) this.editor.value = shared.code;
    const at = shared.at ? `, ${clockTime(shared.at)}` : "";
    this.codeTitle.textContent = `Code in their editor (${this.languageName(shared.language)}${at})`;
  }

  #event(event) {
    const exit = showSessionEvent(this.console, event);
    if (exit) {
      this.ended = true;
      this.#status(`Finished: ${exit.summary}`, exit.tone);
    }
  }

  #refused(close) {
    if (close.code === 4001) {
      this.#status("Your sign-in has expired: sign in again.", "bad");
      this.onExpired();
    } else if (close.code === 4003) this.#status("You may not follow this student: you do not teach this class.", "bad");
    else this.#status("This student is not in the class (any more).", "bad");
  }

  async #loadRuns() {
    const student = this.student;
    if (!student) return;
    const query = new URLSearchParams({ class: this.classId, student: student.id, limit: String(EARLIER_RUNS) });
    let sessions;
    try {
      ({ sessions } = await this.api.get(`/api/sessions?${query}`));
    } catch (error) {
      this.runList.replaceChildren(h("li", { class: "muted" }, `Could not load the runs: ${describeError(error)}`));
      return;
    }
    if (this.student !== student) return;
    if (!sessions.length) {
      this.runList.replaceChildren(h("li", { class: "muted" }, "No runs yet."));
      return;
    }
    this.runList.replaceChildren(
      ...sessions.map((session) => {
        const live = session.state === "running";
        const took = session.endedAt ? ` · ${duration(new Date(session.endedAt) - new Date(session.startedAt))}` : "";
        return h(
          "li",
          {},
          h(
            "button",
            { type: "button", class: "item run-item", dataset: { sessionId: session.id }, onclick: () => this.#read(session) },
            h("span", { class: "item-title" }, `${this.languageName(session.language)} · ${shortDateTime(session.startedAt)}`),
            h("span", { class: `badge ${live ? "live" : statusTone(session.status)}` }, live ? "Live" : statusLabel(session.status)),
            took ? h("span", { class: "item-sub" }, took.slice(3)) : null,
          ),
        );
      }),
    );
  }

  /** Read an earlier run back; the live view waits until "Back to the live view". */
  #read(session) {
    this.follow?.stop();
    this.runs.open = false;
    this.readingId = session.id;
    this.liveButton.hidden = false;
    this.console.clear();
    this.#status("Reading an earlier run", "neutral");
    this.reader.connectNow();
  }

  #resume() {
    this.reader.close();
    this.readingId = null;
    this.liveButton.hidden = true;
    this.follow?.start();
    this.title.focus();
  }

  #onReading(message) {
    if (message.type === "snapshot") {
      const session = message.session;
      this.title.textContent = `${session.userName} · ${this.languageName(session.language)}`;
      this.meta.textContent = `Earlier run, started ${shortDateTime(session.startedAt)}`;
      this.editor.value = session.code ?? "";
      this.codeTitle.textContent = "Code of this run";
      this.console.clear();
      let last = null;
      for (const event of message.events) last = showSessionEvent(this.console, event) ?? last;
      if (last) this.#status(`Earlier run: ${last.summary}`, last.tone);
      else this.#status(session.state === "running" ? "Earlier run, still running" : "Earlier run", "neutral");
    } else if (message.type === "error") {
      this.console.notice(message.message, "warn");
    } else if (message.type !== "pong") {
      const exit = showSessionEvent(this.console, message);
      if (exit) this.#status(`Earlier run: ${exit.summary}`, exit.tone);
    }
  }

  #status(text, tone) {
    delete this.status.dataset.spoken;
    this.status.textContent = text;
    this.status.dataset.tone = tone;
  }
}
