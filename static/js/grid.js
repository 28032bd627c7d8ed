// The grid of live consoles: a compact console per student of the class, each followed over
// its own socket; choosing one opens that student full size.

import { ConsoleView } from "./console.js";
import { h, srOnly } from "./dom.js";
import { StudentFollow, showSessionEvent } from "./follow.js";
import { statusLabel, statusTone } from "./format.js";

// Each tile holds a socket: past this many the others are followed from the roster.
export const GRID_MAX = 24;

class ConsoleTile {
  constructor(student, { classId, token, languageName, onOpen }) {
    this.student = student;
    this.nameText = h("span", { class: "tile-name-text" }, student.name);
    this.button = h(
      "button",
      { type: "button", class: "tile-name", onclick: () => onOpen(this.student) },
      this.nameText,
      srOnly(": open full size"),
    );
    this.presence = h("span", { class: "presence", dataset: { online: "false" } }, srOnly("offline"));
    this.badge = h("span", { class: "badge" }, "…");
    this.log = h("div", {
      class: "console tile-console",
      role: "log",
      "aria-live": "off",
      "aria-label": `Console of ${student.name}`,
      tabindex: "0",
    });
    this.console = new ConsoleView(this.log, { stdinMarker: "student typed: " });
    this.element = h(
      "li",
      { class: "tile", dataset: { studentId: student.id } },
      h("div", { class: "tile-head" }, this.presence, this.button, this.badge),
      this.log,
    );
    // A click anywhere on the tile opens it (selecting text in the console does not).
    this.log.addEventListener("click", () => {
      if (!window.getSelection()?.toString()) onOpen(this.student);
    });
    this.follow = new StudentFollow({
      classId,
      studentId: student.id,
      token,
      sink: {
        snapshot: (session, events) => {
          this.console.clear();
          this.badge.title = languageName(session.language);
          let last = null;
          for (const event of events) last = showSessionEvent(this.console, event) ?? last;
          if (last) this.#badge(statusLabel(events.findLast((e) => e.type === "exit")?.status), last.tone);
          else if (session.state === "running") this.#badge("Live", "live");
          else this.#badge(session.state === "aborted" ? "Aborted" : "Finished", session.state === "aborted" ? "bad" : "neutral");
        },
        waiting: () => {
          this.console.clear();
          this.console.notice("No run yet.");
          this.#badge("No run yet", "neutral");
        },
        event: (event) => {
          showSessionEvent(this.console, event);
          if (event.type === "exit") this.#badge(statusLabel(event.status), statusTone(event.status));
        },
        problem: (message) => this.console.notice(message.message, "warn"),
        connection: (state) => {
          if (state === "waiting") this.#badge("Reconnecting", "bad");
        },
        refused: () => this.#badge("Not allowed", "bad"),
      },
    });
    this.follow.start();
  }

  /** What the roster knows: whether the student has the IDE open. */
  update(student) {
    this.student = student;
    if (this.nameText.textContent !== student.name) this.nameText.textContent = student.name;
    const online = student.online ? "true" : "false";
    if (this.presence.dataset.online !== online) {
      this.presence.dataset.online = online;
      this.presence.replaceChildren(srOnly(student.online ? "online" : "offline"));
      this.presence.title = student.online ? "Online" : "Offline";
    }
  }

  set current(yes) {
    this.element.classList.toggle("current", yes);
    if (yes) this.button.setAttribute("aria-current", "true");
    else this.button.removeAttribute("aria-current");
  }

  stop() {
    this.follow.stop();
  }

  #badge(text, tone) {
    this.badge.textContent = text;
    this.badge.className = `badge ${tone}`;
  }
}

export class ConsoleGrid {
  /**
   * @param {{list: HTMLElement, note: HTMLElement}} elements
   * @param {{token: () => (string|null), languageName: (id: string) => string, onOpen: (student: object) => void}} deps
   */
  constructor({ list, note }, { token, languageName, onOpen }) {
    this.list = list;
    this.note = note;
    this.deps = { token, languageName, onOpen };
    this.classId = null;
    this.tiles = new Map(); // student id → ConsoleTile
  }

  /** Show the students of `classId` (the roster's list, in its order). */
  show(classId, students) {
    if (classId !== this.classId) this.clear();
    this.classId = classId;
    const shown = students.slice(0, GRID_MAX);
    const keep = new Set(shown.map((student) => student.id));
    for (const [id, tile] of this.tiles) {
      if (!keep.has(id)) {
        tile.stop();
        this.tiles.delete(id);
      }
    }
    const items = shown.map((student) => {
      let tile = this.tiles.get(student.id);
      if (!tile) {
        tile = new ConsoleTile(student, { classId, ...this.deps });
        this.tiles.set(student.id, tile);
      }
      tile.update(student);
      return tile.element;
    });
    const current = [...this.list.children];
    if (current.length !== items.length || current.some((item, i) => item !== items[i])) {
      const focused = document.activeElement;
      this.list.replaceChildren(...items);
      if (focused && this.list.contains(focused)) focused.focus();
    }
    if (!students.length) this.note.textContent = "No students yet: share the join code, and each student's console appears here as they join.";
    else if (students.length > GRID_MAX) this.note.textContent = `Showing ${GRID_MAX} of ${students.length} students. Follow the others from the list of students.`;
    else this.note.textContent = "";
  }

  /** Mark the tile of the student followed full size. */
  markCurrent(studentId) {
    for (const [id, tile] of this.tiles) tile.current = id === studentId;
  }

  focusTile(studentId) {
    this.tiles.get(studentId)?.button.focus();
  }

  clear() {
    for (const tile of this.tiles.values()) tile.stop();
    this.tiles.clear();
    this.list.replaceChildren();
    this.classId = null;
  }
}
