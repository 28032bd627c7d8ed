// The progress table of a class (students × assigned exercises: attempts, solved, last
// verdict), and assigning an exercise to the class from the list of exercises.

import { describeError } from "./api.js";
import { h, srOnly } from "./dom.js";
import { shortDateTime, statusLabel } from "./format.js";

const REFRESH_DELAY_MS = 400;

export class ProgressTable {
  /**
   * @param {HTMLElement} root the element to fill
   * @param {{api: import("./api.js").Api}} deps
   */
  constructor(root, { api }) {
    this.api = api;
    this.classId = null;
    this.exercises = null; // every exercise, from `GET /api/exercises`
    this.progress = null;
    this.timer = null;

    this.exercisePicker = h("select", { id: "assign-exercise" });
    this.dueInput = h("input", { id: "assign-due", type: "date" });
    this.assignError = h("p", { class: "form-error", role: "alert", id: "assign-error" });
    this.form = h(
      "form",
      { class: "assign-form", novalidate: true },
      h("div", { class: "field" }, h("label", { for: "assign-exercise" }, "Exercise"), this.exercisePicker),
      h("div", { class: "field" }, h("label", { for: "assign-due" }, "Due (optional)"), this.dueInput),
      h("button", { type: "submit", class: "primary" }, "Assign to the class"),
      this.assignError,
    );
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#assign();
    });
    this.status = h("p", { class: "muted", role: "status" });
    this.table = h("table", { class: "progress-table" });
    this.tableWrap = h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Progress table" }, this.table);
    root.replaceChildren(
      h("div", { class: "panel-head" }, h("h2", { id: "progress-title" }, "Progress")),
      this.form,
      this.status,
      this.tableWrap,
    );
  }

  async open(classId) {
    this.classId = classId;
    this.progress = null;
    this.table.replaceChildren();
    await this.refresh();
  }

  close() {
    clearTimeout(this.timer);
    this.classId = null;
    this.progress = null;
    this.table.replaceChildren();
  }

  /** Refresh soon: several verdicts in a row make one request. */
  refreshSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), REFRESH_DELAY_MS);
  }

  async refresh() {
    clearTimeout(this.timer);
    const classId = this.classId;
    if (!classId) return;
    try {
      if (!this.exercises) this.exercises = (await this.api.get("/api/exercises")).exercises;
      const progress = await this.api.get(`/api/classes/${encodeURIComponent(classId)}/progress`);
      if (classId !== this.classId) return;
      this.progress = progress;
    } catch (error) {
      this.status.textContent = `Could not load the progress: ${describeError(error)}`;
      return;
    }
    this.#renderPicker();
    this.#renderTable();
  }

  #renderPicker() {
    const assigned = new Set(this.progress.exercises.map((exercise) => exercise.id));
    const left = this.exercises.filter((exercise) => !assigned.has(exercise.id));
    const chosen = this.exercisePicker.value;
    this.exercisePicker.replaceChildren(
      ...left.map((exercise) => h("option", { value: exercise.slug }, `${exercise.title} (${exercise.difficulty})`)),
    );
    if (left.some((exercise) => exercise.slug === chosen)) this.exercisePicker.value = chosen;
    this.form.hidden = left.length === 0;
  }

  #renderTable() {
    const { students, exercises, cells } = this.progress;
    if (!exercises.length) {
      this.status.textContent = "No exercise is assigned to this class yet: choose one above and assign it.";
    } else if (!students.length) {
      this.status.textContent = "No students yet: share the join code. Their progress shows here.";
    } else this.status.textContent = "";
    this.tableWrap.hidden = !exercises.length || !students.length;
    const byPair = new Map(cells.map((cell) => [`${cell.student}/${cell.exercise}`, cell]));
    const head = h(
      "tr",
      {},
      h("th", { scope: "col" }, "Student"),
      ...exercises.map((exercise) =>
        h(
          "th",
          { scope: "col", dataset: { exercise: exercise.slug } },
          h("span", { class: "exercise-head" }, exercise.title),
          exercise.dueAt ? h("span", { class: "due muted small-text" }, `due ${shortDateTime(exercise.dueAt)}`) : null,
          h(
            "button",
            { type: "button", class: "link-button small-text", onclick: () => this.#unassign(exercise) },
            "Unassign",
            srOnly(` ${exercise.title}`),
          ),
        ),
      ),
      h("th", { scope: "col" }, "Solved"),
    );
    const rows = students.map((student) => {
      let solved = 0;
      const tds = exercises.map((exercise) => {
        const cell = byPair.get(`${student.id}/${exercise.id}`);
        if (cell?.solved) solved += 1;
        return this.#cell(cell);
      });
      return h(
        "tr",
        { dataset: { studentId: student.id } },
        h("th", { scope: "row" }, student.name),
        ...tds,
        h("td", { class: "total" }, `${solved} of ${exercises.length}`),
      );
    });
    this.table.replaceChildren(
      h("caption", { class: "sr-only" }, "Progress: a row per student, a column per assigned exercise"),
      h("thead", {}, head),
      h("tbody", {}, ...rows),
    );
  }

  #cell(cell) {
    if (!cell) return h("td", { class: "cell", dataset: { state: "none" } }, h("span", { "aria-hidden": "true" }, "—"), srOnly("not tried"));
    const attempts = `${cell.attempts} ${cell.attempts === 1 ? "attempt" : "attempts"}`;
    const when = cell.lastAt ? `last ${shortDateTime(cell.lastAt)}` : "";
    if (cell.solved) {
      return h(
        "td",
        { class: "cell", dataset: { state: "solved" }, title: when },
        h("span", { class: "cell-mark good" }, h("span", { "aria-hidden": "true" }, "✓ "), "Solved"),
        h("span", { class: "cell-sub" }, attempts),
      );
    }
    return h(
      "td",
      { class: "cell", dataset: { state: "tried" }, title: when },
      h("span", { class: "cell-mark bad" }, h("span", { "aria-hidden": "true" }, "✗ "), statusLabel(cell.lastStatus)),
      h("span", { class: "cell-sub" }, attempts),
    );
  }

  async #assign() {
    const exercise = this.exercisePicker.value;
    this.assignError.textContent = "";
    if (!exercise || !this.classId) return;
    const due = this.dueInput.value;
    try {
      await this.api.post(`/api/classes/${encodeURIComponent(this.classId)}/exercises`, {
        exercise,
        dueAt: due ? new Date(`${due}T23:59:59`).toISOString() : null,
      });
      this.dueInput.value = "";
      await this.refresh();
      this.exercisePicker.focus();
    } catch (error) {
      this.assignError.textContent = `Could not assign it: ${describeError(error)}`;
    }
  }

  async #unassign(exercise) {
    if (!window.confirm(`Remove “${exercise.title}” from the exercises of this class?`)) return;
    try {
      await this.api.request("DELETE", `/api/classes/${encodeURIComponent(this.classId)}/exercises/${encodeURIComponent(exercise.id)}`);
      await this.refresh();
    } catch (error) {
      this.status.textContent = `Could not remove it: ${describeError(error)}`;
    }
  }
}
