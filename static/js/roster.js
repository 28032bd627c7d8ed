// The roster: the students of a class with what each is doing (online, running, idle, last
// verdict), kept live by `/ws/classes/{id}/watch`: a snapshot, then one event per change.

import { authMessage, socketUrl } from "./api.js";
import { h, setLiveText, srOnly } from "./dom.js";
import { clockTime, statusLabel, statusTone } from "./format.js";
import { ReconnectingSocket } from "./socket.js";

const FINAL_CLOSES = [4001, 4003, 4004];

/** "Sum of Two Numbers: 6/6 passed", "Run: OK": a student's last verdict in a few words. */
export function verdictText(verdict) {
  if (!verdict) return "No verdict yet";
  if (verdict.kind === "validation") {
    const title = verdict.exercise?.title ?? "Exercise";
    const score = verdict.total !== undefined && verdict.total !== null ? `${verdict.passed}/${verdict.total} passed` : statusLabel(verdict.status);
    return `${title}: ${score}`;
  }
  return `Run: ${statusLabel(verdict.status)}`;
}

function verdictTone(verdict) {
  if (!verdict) return "neutral";
  if (verdict.kind === "validation") return verdict.status === "passed" || (verdict.total && verdict.passed === verdict.total) ? "good" : "bad";
  return statusTone(verdict.status);
}

/**
 * Dispatches `students` (detail: the students, in roster order) when one joins or leaves or the
 * snapshot arrives, `student` (detail: one student) when one's state changes, and `validated`.
 */
export class ClassRoster extends EventTarget {
  /**
   * @param {{list: HTMLElement, status: HTMLElement, summary: HTMLElement,
   *   filters?: {search: HTMLInputElement, language: HTMLSelectElement, state: HTMLSelectElement}}} elements
   * @param {{token: () => (string|null), languageName: (id: string) => string, onFollow: (student: object) => void,
   *   onRemove: (student: object) => void, onExpired: () => void}} deps
   */
  constructor({ list, status, summary, filters = null }, { token, languageName, onFollow, onRemove, onExpired }) {
    super();
    this.filters = filters;
    if (filters) {
      for (const control of Object.values(filters)) control.addEventListener("input", () => this.#applyFilter());
    }
    this.list = list;
    this.status = status;
    this.summary = summary;
    this.languageName = languageName;
    this.onFollow = onFollow;
    this.onRemove = onRemove;
    this.onExpired = onExpired;
    this.classId = null;
    this.students = new Map(); // id → {id, name, online, session, lastVerdict}
    this.rows = new Map(); // id → {item, parts}
    this.current = null;
    this.socket = new ReconnectingSocket(() => socketUrl(`/ws/classes/${encodeURIComponent(this.classId)}/watch`), {
      hello: () => authMessage(token()),
      shouldReconnect: (event) => !FINAL_CLOSES.includes(event.code),
    });
    this.socket.addEventListener("message", (event) => this.#onMessage(event.detail));
    this.socket.addEventListener("state", (event) => {
      const { state, seconds } = event.detail;
      if (state === "waiting") setLiveText(this.status, "Connection lost: reconnecting…", `Connection lost: reconnecting in ${seconds} s`);
    });
    this.socket.addEventListener("close", (event) => {
      const { code } = event.detail;
      if (code === 4001) onExpired();
      else if (code === 4003) this.#say("You do not teach this class.");
      else if (code === 4004) this.#say("This class does not exist (any more).");
    });
  }

  open(classId) {
    this.close();
    this.classId = classId;
    this.#say("Connecting…");
    this.socket.connectNow();
  }

  close() {
    this.socket.close();
    this.classId = null;
    this.students.clear();
    this.rows.clear();
    this.list.replaceChildren();
    this.summary.textContent = "";
  }

  /** The students in the order they are listed: by name. */
  get ordered() {
    return [...this.students.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  /** The students the filters let through, in roster order: what the console grid shows. */
  get shown() {
    return this.ordered.filter((student) => this.#matches(student));
  }

  find(id) {
    return this.students.get(id) ?? null;
  }

  /** Mark the student followed full size. */
  markCurrent(id) {
    this.current = id;
    for (const [rowId, row] of this.rows) {
      if (rowId === id) row.follow.setAttribute("aria-current", "true");
      else row.follow.removeAttribute("aria-current");
    }
  }

  #onMessage(message) {
    switch (message.type) {
      case "snapshot":
        this.students = new Map(message.students.map((student) => [student.id, { ...student }]));
        this.#say("");
        this.#renderAll();
        return;
      case "student_joined": {
        const { id, name } = message.student;
        if (!this.students.has(id)) this.students.set(id, { id, name, online: Boolean(message.online), session: null, lastVerdict: null });
        this.#renderAll();
        return;
      }
      case "student_left":
        if (this.students.delete(message.student)) this.#renderAll();
        return;
      case "error":
        this.#say(message.message);
        return;
      case "pong":
        return;
      default:
        break;
    }
    const student = this.students.get(message.student);
    if (!student) return;
    const now = new Date().toISOString();
    switch (message.type) {
      case "student_online":
        student.online = true;
        break;
      case "student_offline":
        student.online = false;
        break;
      case "session_started":
        student.session = message.session;
        break;
      case "session_ended":
        student.session = { ...(message.session ?? student.session), state: message.session?.state ?? "finished" };
        student.lastVerdict = { kind: "run", status: message.status, at: now };
        break;
      case "validated":
        student.lastVerdict = {
          kind: "validation",
          status: message.status,
          at: now,
          exercise: message.exercise,
          passed: message.passed,
          total: message.total,
        };
        this.dispatchEvent(new CustomEvent("validated", { detail: message }));
        break;
      default:
        return;
    }
    this.#fill(student);
    this.#summarise();
    this.dispatchEvent(new CustomEvent("student", { detail: student }));
  }

  #matches(student) {
    if (!this.filters) return true;
    const text = this.filters.search.value.trim().toLocaleLowerCase();
    if (text && !student.name.toLocaleLowerCase().includes(text)) return false;
    const language = this.filters.language.value;
    if (language && student.session?.language !== language) return false;
    const running = student.session?.state === "running";
    switch (this.filters.state.value) {
      case "online":
        return student.online;
      case "running":
        return running;
      case "idle":
        return student.online && !running;
      case "offline":
        return !student.online;
      default:
        return true;
    }
  }

  #applyFilter() {
    for (const student of this.students.values()) {
      const row = this.rows.get(student.id);
      if (row) row.item.hidden = !this.#matches(student);
    }
    this.#summarise();
    this.dispatchEvent(new CustomEvent("filter", { detail: this.shown }));
  }

  /** The language filter offers the languages the students' sessions are in. */
  #offerLanguages() {
    if (!this.filters) return;
    const select = this.filters.language;
    const wanted = new Set([...this.students.values()].map((s) => s.session?.language).filter(Boolean));
    if (select.value) wanted.add(select.value);
    const have = [...select.options].slice(1).map((option) => option.value);
    const sorted = [...wanted].sort();
    if (have.join() === sorted.join()) return;
    const chosen = select.value;
    select.replaceChildren(h("option", { value: "" }, "Any"), ...sorted.map((id) => h("option", { value: id }, this.languageName(id))));
    select.value = chosen;
  }

  #renderAll() {
    const ordered = this.ordered;
    const items = ordered.map((student) => {
      let row = this.rows.get(student.id);
      if (!row) {
        row = this.#row(student);
        this.rows.set(student.id, row);
      }
      this.#fill(student);
      return row.item;
    });
    for (const id of [...this.rows.keys()]) if (!this.students.has(id)) this.rows.delete(id);
    const focused = document.activeElement;
    this.list.replaceChildren(...items);
    if (focused && this.list.contains(focused)) focused.focus();
    this.#summarise();
    if (!ordered.length) this.#say("No students yet. Share the join code: students type it in the IDE, under Classes.");
    else this.#say("");
    this.dispatchEvent(new CustomEvent("students", { detail: ordered }));
  }

  #row(student) {
    const parts = {
      name: h("span", { class: "student-name" }),
      presence: h("span", { class: "presence-text" }),
      activity: h("span", { class: "activity" }),
      verdict: h("span", { class: "verdict-text" }),
    };
    const follow = h(
      "button",
      { type: "button", class: "small", onclick: () => this.onFollow(this.students.get(student.id)) },
      "Follow",
      srOnly(` ${student.name}`),
    );
    const remove = h(
      "button",
      { type: "button", class: "small ghost", onclick: () => this.onRemove(this.students.get(student.id)) },
      "Remove",
      srOnly(` ${student.name} from the class`),
    );
    if (student.id === this.current) follow.setAttribute("aria-current", "true");
    const item = h(
      "li",
      { class: "student", dataset: { studentId: student.id } },
      h("div", { class: "student-line" }, h("span", { class: "presence", "aria-hidden": "true" }), parts.name),
      h("div", { class: "student-line sub" }, parts.presence, parts.activity),
      h("div", { class: "student-line sub" }, parts.verdict),
      h("div", { class: "student-actions" }, follow, remove),
    );
    return { item, parts, follow };
  }

  #fill(student) {
    const row = this.rows.get(student.id);
    if (!row) return;
    const { name, presence, activity, verdict } = row.parts;
    setText(name, student.name);
    row.item.querySelector(".presence").dataset.online = student.online ? "true" : "false";
    setText(presence, student.online ? "Online" : "Offline");
    presence.dataset.online = student.online ? "true" : "false";
    const running = student.session?.state === "running";
    setText(activity, running ? `Running ${this.languageName(student.session.language)}` : "Idle");
    activity.dataset.state = running ? "running" : "idle";
    const verdictLine = verdictText(student.lastVerdict);
    const at = student.lastVerdict?.at ? ` (${clockTime(student.lastVerdict.at)})` : "";
    setText(verdict, `Last: ${verdictLine}${at}`);
    verdict.dataset.tone = verdictTone(student.lastVerdict);
    row.item.dataset.online = student.online ? "true" : "false";
    row.item.dataset.state = running ? "running" : "idle";
    row.item.hidden = !this.#matches(student);
    this.#offerLanguages();
  }

  #summarise() {
    const all = [...this.students.values()];
    const online = all.filter((student) => student.online).length;
    const running = all.filter((student) => student.session?.state === "running").length;
    const noun = all.length === 1 ? "student" : "students";
    const shown = this.shown.length;
    const filtered = shown < all.length ? ` · ${shown} shown` : "";
    setText(this.summary, all.length ? `${all.length} ${noun} · ${online} online · ${running} running${filtered}` : "");
  }

  #say(text) {
    delete this.status.dataset.spoken;
    setText(this.status, text);
  }
}

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}
