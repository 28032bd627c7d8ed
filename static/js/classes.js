// The teacher's classes: the picker, making a class, its join code (and a new one), and its
// teachers (adding a co-teacher by email). Dispatches `select` (detail: the class, in full)
// when the class shown changes, and `none` when the teacher has no class yet.

import { ApiError, describeError } from "./api.js";
import { h } from "./dom.js";

export class ClassPanel extends EventTarget {
  /**
   * @param {HTMLElement} root the element to fill
   * @param {{api: import("./api.js").Api}} deps
   */
  constructor(root, { api }) {
    super();
    this.api = api;
    this.classes = [];
    this.current = null; // the class shown, as `GET /api/classes/{id}` gives it

    this.picker = h("select", { id: "class-picker", onchange: () => this.select(this.picker.value) });
    this.pickerRow = h("div", { class: "field" }, h("label", { for: "class-picker" }, "Class"), this.picker);
    this.empty = h(
      "div",
      { class: "empty-state", hidden: true },
      h("p", {}, h("strong", {}, "You teach no class yet.")),
      h("p", { class: "hint" }, "Make one below: give it a name, then share its join code with your students. They type it in the IDE, under Classes."),
    );
    this.status = h("p", { class: "muted", role: "status" });

    this.joinCode = h("code", { id: "join-code", class: "join-code" });
    this.rotateButton = h("button", { type: "button", class: "small", "aria-describedby": "rotate-hint", onclick: () => this.#rotate() }, "New join code");
    this.codeStatus = h("p", { class: "hint", role: "status" });
    this.details = h(
      "div",
      { class: "class-details", hidden: true },
      h(
        "div",
        { class: "join-box" },
        h("span", { class: "join-label", id: "join-code-label" }, "Join code"),
        this.joinCode,
        this.rotateButton,
        h("p", { class: "hint", id: "rotate-hint" }, "Students type the code in the IDE, under Classes. A new code replaces it: the old one stops working."),
        this.codeStatus,
      ),
    );
    this.joinCode.setAttribute("aria-labelledby", "join-code-label");

    this.teacherList = h("ul", { class: "plain-list", "aria-label": "Teachers of the class" });
    this.teacherEmail = h("input", { id: "co-teacher-email", type: "email", autocomplete: "off", required: true });
    this.teacherError = h("p", { class: "form-error", role: "alert", id: "co-teacher-error" });
    this.teacherForm = h(
      "form",
      { class: "inline-form", novalidate: true },
      h("label", { for: "co-teacher-email" }, "Co-teacher's email"),
      h("div", { class: "inline-row" }, this.teacherEmail, h("button", { type: "submit", class: "small" }, "Add co-teacher")),
      this.teacherError,
    );
    this.teacherForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#addTeacher();
    });
    this.details.append(
      h("details", { class: "teachers-box" }, h("summary", {}, "Teachers"), this.teacherList, this.teacherForm),
    );

    this.nameInput = h("input", { id: "new-class-name", autocomplete: "off", maxlength: 100, required: true });
    this.createError = h("p", { class: "form-error", role: "alert", id: "new-class-error" });
    this.createForm = h(
      "form",
      { class: "inline-form create-class", novalidate: true },
      h("label", { for: "new-class-name" }, "New class name"),
      h("div", { class: "inline-row" }, this.nameInput, h("button", { type: "submit", class: "small primary" }, "Create class")),
      this.createError,
    );
    this.createForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#create();
    });

    this.createBox = h("details", { class: "create-box" }, h("summary", {}, "New class"), this.createForm);
    root.replaceChildren(
      h("div", { class: "panel-head" }, h("h2", { id: "class-title", tabindex: "-1" }, "Your classes")),
      this.empty,
      this.pickerRow,
      this.status,
      this.details,
      this.createBox,
    );
  }

  /** Load the classes and show `wanted` (an id), or the one shown before, or the first. */
  async load(wanted = null) {
    try {
      const { classes } = await this.api.get("/api/classes");
      this.classes = classes;
    } catch (error) {
      this.status.textContent = `Could not load your classes: ${describeError(error)}`;
      return;
    }
    this.status.textContent = "";
    this.#renderPicker();
    const id = [wanted, this.current?.id].find((candidate) => candidate && this.classes.some((c) => c.id === candidate)) ?? this.classes[0]?.id;
    if (id) await this.select(id);
    else {
      this.current = null;
      this.details.hidden = true;
      this.dispatchEvent(new Event("none"));
    }
  }

  /** Show the class `id`. */
  async select(id) {
    let info;
    try {
      info = await this.api.get(`/api/classes/${encodeURIComponent(id)}`);
    } catch (error) {
      this.status.textContent = `Could not open the class: ${describeError(error)}`;
      return;
    }
    this.status.textContent = "";
    const changed = this.current?.id !== info.id;
    if (changed) this.codeStatus.textContent = "";
    this.current = info;
    this.picker.value = info.id;
    this.#renderDetails();
    if (changed) this.dispatchEvent(new CustomEvent("select", { detail: info }));
  }

  reset() {
    this.classes = [];
    this.current = null;
    this.picker.replaceChildren();
    this.details.hidden = true;
  }

  /** The number of students the roster counts in class `id`, for the picker. */
  setStudentCount(id, count) {
    const info = this.classes.find((c) => c.id === id);
    if (!info || info.studentCount === count) return;
    info.studentCount = count;
    this.#renderPicker();
  }

  #renderPicker() {
    this.empty.hidden = this.classes.length > 0;
    this.createBox.open = this.classes.length === 0;
    this.pickerRow.hidden = this.classes.length === 0;
    this.picker.replaceChildren(
      ...this.classes.map((c) => h("option", { value: c.id }, `${c.name} (${c.studentCount ?? 0} ${c.studentCount === 1 ? "student" : "students"})`)),
    );
    if (this.current) this.picker.value = this.current.id;
  }

  #renderDetails() {
    const info = this.current;
    this.details.hidden = false;
    this.joinCode.textContent = info.joinCode ?? "";
    this.teacherList.replaceChildren(
      ...(info.teachers ?? []).map((teacher) => h("li", {}, teacher.name, teacher.email ? h("span", { class: "muted" }, ` · ${teacher.email}`) : null)),
    );
  }

  async #create() {
    const name = this.nameInput.value.trim();
    this.createError.textContent = "";
    this.nameInput.removeAttribute("aria-invalid");
    if (!name) {
      this.#invalid(this.nameInput, this.createError, "Enter a name for the class, like “Period 3 · Python”.");
      return;
    }
    try {
      const created = await this.api.post("/api/classes", { name });
      this.nameInput.value = "";
      this.createBox.open = false;
      await this.load(created.id);
      this.codeStatus.textContent = `Class “${created.name}” created: share this code with your students.`;
    } catch (error) {
      this.#invalid(this.nameInput, this.createError, `Could not create the class: ${describeError(error)}`);
    }
  }

  async #rotate() {
    const info = this.current;
    if (!info) return;
    this.rotateButton.disabled = true;
    try {
      const { joinCode } = await this.api.post(`/api/classes/${encodeURIComponent(info.id)}/join-code`);
      info.joinCode = joinCode;
      this.joinCode.textContent = joinCode;
      this.codeStatus.textContent = `New join code: ${joinCode}. The old code no longer works.`;
    } catch (error) {
      this.codeStatus.textContent = `Could not make a new code: ${describeError(error)}`;
    } finally {
      this.rotateButton.disabled = false;
    }
  }

  async #addTeacher() {
    const info = this.current;
    const email = this.teacherEmail.value.trim();
    this.teacherError.textContent = "";
    this.teacherEmail.removeAttribute("aria-invalid");
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      this.#invalid(this.teacherEmail, this.teacherError, "Enter the email address of the teacher's account.");
      return;
    }
    try {
      const updated = await this.api.post(`/api/classes/${encodeURIComponent(info.id)}/teachers`, { email });
      this.current = { ...info, ...updated };
      this.teacherEmail.value = "";
      this.#renderDetails();
    } catch (error) {
      let message = describeError(error);
      if (error instanceof ApiError && error.code === "not_found") message = `No account has the email ${email}: they need to create a teacher account first.`;
      this.#invalid(this.teacherEmail, this.teacherError, message);
    }
  }

  #invalid(input, error, message) {
    error.textContent = message;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-errormessage", error.id);
    input.focus();
  }
}
