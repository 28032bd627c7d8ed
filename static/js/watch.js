// One student full size: the code of their current run and its console, live; when they start
// another run the view switches to it.

import { ConsoleView } from "./console.js";
import { setLiveText } from "./dom.js";
import { CodeEditor } from "./editor.js";
import { StudentFollow, showSessionEvent } from "./follow.js";
import { shortDateTime } from "./format.js";

export class StudentWatch {
  /**
   * @param {{title: HTMLElement, meta: HTMLElement, status: HTMLElement, editor: HTMLElement,
   *   console: HTMLElement}} elements
   * @param {{token: () => (string|null), languageName: (id: string) => string, onExpired: () => void}} deps
   */
  constructor(elements, { token, languageName, onExpired }) {
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
    this.student = student;
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
    this.student = null;
  }

  get studentId() {
    return this.student?.id ?? null;
  }

  #snapshot(session, events) {
    this.session = session;
    this.ended = session.state !== "running";
    this.title.textContent = `${session.userName ?? this.student.name} · ${this.languageName(session.language)}`;
    this.meta.textContent = `Run started ${shortDateTime(session.startedAt)}`;
    if (this.editor.value !== session.code) this.editor.value = session.code ?? "";
    this.console.clear();
    let last = null;
    for (const event of events) last = showSessionEvent(this.console, event) ?? last;
    if (session.state === "running") this.#status("Watching live", "live");
    else if (last) this.#status(`Finished: ${last.summary}`, last.tone);
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
    this.editor.value = "";
    this.console.clear();
    this.console.notice(`${this.student.name} has not run a program yet. Their next run shows here as it starts.`);
    this.#status("Waiting for a run", "neutral");
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

  #status(text, tone) {
    delete this.status.dataset.spoken;
    this.status.textContent = text;
    this.status.dataset.tone = tone;
  }
}
