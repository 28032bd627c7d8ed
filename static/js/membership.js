// The IDE's classes panel: a student joins a class with the code their teacher gives them,
// sees the classes they are in, and can leave one.

import { ApiError, describeError } from "./api.js";
import { h, srOnly } from "./dom.js";
import { shortDateTime } from "./format.js";

export class ClassesPanel {
  /**
   * @param {HTMLElement} root the tab panel
   * @param {{api: import("./api.js").Api, auth: import("./auth.js").Auth, onSignIn: () => void}} deps
   */
  constructor(root, { api, auth, onSignIn }) {
    this.api = api;
    this.auth = auth;
    this.onSignIn = onSignIn;

    this.codeInput = h("input", {
      id: "join-code-input",
      autocomplete: "off",
      autocapitalize: "characters",
      spellcheck: "false",
      maxlength: 64,
      required: true,
      "aria-describedby": "join-code-hint",
    });
    this.joinButton = h("button", { type: "submit", class: "primary" }, "Join");
    this.error = h("p", { class: "form-error", role: "alert", id: "join-error" });
    this.joined = h("p", { class: "join-done", role: "status" });
    this.form = h(
      "form",
      { class: "join-form", novalidate: true },
      h("label", { for: "join-code-input" }, "Join code"),
      h("div", { class: "inline-row" }, this.codeInput, this.joinButton),
      h("p", { class: "hint", id: "join-code-hint" }, "The code your teacher shows or sends you, like K7QXM2PD. Letter case, spaces and dashes do not matter."),
      this.error,
      this.joined,
    );
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#join();
    });
    this.joinBox = h("section", { class: "join-section", "aria-labelledby": "join-title" }, h("h2", { id: "join-title" }, "Join a class"), this.form);
    this.status = h("p", { class: "muted", role: "status" });
    this.list = h("ul", { class: "item-list", "aria-label": "Your classes" });
    this.listBox = h("section", { class: "my-classes", "aria-labelledby": "my-classes-title" }, h("h2", { id: "my-classes-title" }, "Your classes"), this.status, this.list);
    this.note = h("p", { class: "muted" });
    root.replaceChildren(this.note, this.joinBox, this.listBox);
    auth.addEventListener("change", () => this.refresh());
  }

  async refresh() {
    const user = this.auth.user;
    this.error.textContent = "";
    if (!this.auth.signedIn) {
      this.#show({ note: true });
      this.note.replaceChildren(
        "Sign in to join your teacher's class with its code. ",
        h("button", { type: "button", class: "link-button", onclick: () => this.onSignIn() }, "Sign in"),
      );
      return;
    }
    if (user.role !== "student") {
      this.#show({ note: true });
      this.note.replaceChildren(
        "Students join classes with a code. Teachers make classes, and share their codes, in the ",
        h("a", { href: "/teacher" }, "Teacher view"),
        ".",
      );
      return;
    }
    this.#show({ note: false });
    try {
      const { classes } = await this.api.get("/api/classes");
      this.#render(classes);
    } catch (error) {
      this.status.textContent = `Could not load your classes: ${describeError(error)}`;
    }
  }

  #show({ note }) {
    this.note.hidden = !note;
    this.joinBox.hidden = note;
    this.listBox.hidden = note;
  }

  #render(classes) {
    this.status.textContent = classes.length ? "" : "You are in no class yet. Ask your teacher for the join code.";
    this.list.replaceChildren(
      ...classes.map((info) => {
        const teachers = (info.teachers ?? []).map((teacher) => teacher.name).join(", ");
        return h(
          "li",
          { class: "class-item", dataset: { classId: info.id } },
          h("span", { class: "item-title" }, info.name),
          h(
            "span",
            { class: "item-sub" },
            teachers ? `${info.teachers.length === 1 ? "Teacher" : "Teachers"}: ${teachers}` : "",
            info.joinedAt ? ` · joined ${shortDateTime(info.joinedAt)}` : "",
          ),
          h(
            "button",
            { type: "button", class: "ghost small", onclick: () => this.#leave(info) },
            "Leave",
            srOnly(` ${info.name}`),
          ),
        );
      }),
    );
  }

  async #join() {
    const code = this.codeInput.value.trim();
    this.error.textContent = "";
    this.joined.textContent = "";
    this.codeInput.removeAttribute("aria-invalid");
    if (!code) {
      this.#invalid("Enter the join code your teacher gave you.");
      return;
    }
    this.joinButton.disabled = true;
    try {
      const answer = await this.api.post("/api/classes/join", { joinCode: code });
      this.codeInput.value = "";
      this.joined.textContent = `You joined ${answer.class.name}. Your teacher can now follow your runs.`;
      await this.refresh();
    } catch (error) {
      this.#invalid(joinMessage(error, code));
    } finally {
      this.joinButton.disabled = false;
    }
  }

  async #leave(info) {
    if (!window.confirm(`Leave ${info.name}? You can join again with its code.`)) return;
    try {
      await this.api.request("DELETE", `/api/classes/${encodeURIComponent(info.id)}/students/${encodeURIComponent(this.auth.user.id)}`);
      this.joined.textContent = `You left ${info.name}.`;
      await this.refresh();
    } catch (error) {
      this.status.textContent = `Could not leave ${info.name}: ${describeError(error)}`;
    }
  }

  #invalid(message) {
    this.error.textContent = message;
    this.codeInput.setAttribute("aria-invalid", "true");
    this.codeInput.setAttribute("aria-errormessage", "join-error");
    this.codeInput.focus();
  }
}

function joinMessage(error, code) {
  if (error instanceof ApiError) {
    if (error.code === "not_found") {
      return `No class has the join code “${code}”. Check it with your teacher: they may have replaced it with a new one.`;
    }
    if (error.code === "invalid_request") return `“${code}” is not a join code. Check it with your teacher.`;
  }
  return `Could not join: ${describeError(error)}`;
}
