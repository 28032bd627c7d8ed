// Signing in, registering and staying signed in (the token lives in localStorage), shared by
// the IDE and the teacher view.

import { ApiError, describeError } from "./api.js";
import { h } from "./dom.js";

const TOKEN_KEY = "codex-ws.token";

/** The signed-in user, if any. Dispatches `change` whenever that changes. */
export class Auth extends EventTarget {
  constructor() {
    super();
    this.api = null;
    this.token = readToken();
    this.user = null;
    // The server refused the token this page had: until the person signs in again or chooses
    // to go on signed out, nothing is done in their name, nor anonymously in its place.
    this.sessionEnded = false;
    window.addEventListener("storage", (event) => {
      if (event.key === TOKEN_KEY) {
        this.token = event.newValue;
        this.user = null;
        this.restore();
      }
    });
  }

  /** @param {import("./api.js").Api} api */
  attach(api) {
    this.api = api;
  }

  get signedIn() {
    return Boolean(this.token && this.user);
  }

  get isTeacher() {
    return this.user?.role === "teacher";
  }

  /** Check the stored token with `GET /api/auth/me`; forget it when the server refuses it. */
  async restore() {
    if (!this.token) {
      this.#set(null, null);
      return;
    }
    try {
      const { user } = await this.api.get("/api/auth/me");
      this.#set(this.token, user);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) this.expired();
      else {
        // The server is unreachable: keep the token, show who it names until we know better.
        this.#set(this.token, userFromToken(this.token));
      }
    }
  }

  async signIn(email, password) {
    const answer = await this.api.request("POST", "/api/auth/login", { email, password }, { token: null });
    this.#set(answer.token, answer.user);
  }

  async register(fields) {
    const answer = await this.api.request("POST", "/api/auth/register", fields, { token: null });
    this.#set(answer.token, answer.user);
  }

  /** Sign out here, and have the server revoke the token (`POST /api/auth/logout`), so that a
   * copy of it left anywhere no longer works. */
  async signOut() {
    const token = this.token;
    this.#set(null, null);
    if (!token || !this.api) return;
    try {
      await this.api.request("POST", "/api/auth/logout", undefined, { token });
    } catch {
      // Unreachable, or already revoked: it is gone from this browser either way.
    }
  }

  /** Change the password (`POST /api/auth/password`): every earlier token stops working,
   * on every device; this page goes on with the new one. */
  async changePassword(currentPassword, newPassword) {
    const answer = await this.api.post("/api/auth/password", { currentPassword, newPassword });
    this.#set(answer.token, answer.user);
  }

  /** The server refused the token (expired, revoked): sign out, and say so (`expired`). */
  expired() {
    if (!this.token) return;
    this.sessionEnded = true;
    this.#set(null, null);
    this.dispatchEvent(new Event("expired"));
  }

  /** The person chose to go on signed out after their session ended. */
  continueSignedOut() {
    if (!this.sessionEnded) return;
    this.sessionEnded = false;
    this.dispatchEvent(new Event("change"));
  }

  #set(token, user) {
    if (token) this.sessionEnded = false;
    this.token = token;
    this.user = user;
    try {
      if (token) localStorage.setItem(TOKEN_KEY, token);
      else localStorage.removeItem(TOKEN_KEY);
    } catch {
      // Storage can be disabled; staying signed in for this page only is still useful.
    }
    this.dispatchEvent(new Event("change"));
  }
}

function readToken() {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function userFromToken(token) {
  try {
    const payload = token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/");
    const claims = JSON.parse(atob(payload));
    return { id: claims.sub, name: claims.name, role: claims.role, email: "" };
  } catch {
    return null;
  }
}

let dialogCount = 0;

/** The sign-in / create-account dialog (a modal <dialog>). */
export class AuthDialog {
  /**
   * @param {Auth} auth
   * @param {{defaultRole?: "student"|"teacher", intro?: string}} options
   */
  constructor(auth, { defaultRole = "student", intro = "" } = {}) {
    this.auth = auth;
    this.defaultRole = defaultRole;
    const id = `auth-${++dialogCount}`;
    this.ids = {
      title: `${id}-title`,
      name: `${id}-name`,
      email: `${id}-email`,
      password: `${id}-password`,
      code: `${id}-code`,
      error: `${id}-error`,
      hint: `${id}-password-hint`,
    };
    this.#build(intro);
    document.body.append(this.dialog);
  }

  #build(intro) {
    const ids = this.ids;
    this.title = h("h2", { id: ids.title }, "Sign in");
    this.tabSignIn = h("button", { type: "button", class: "segment", "aria-pressed": "true", onclick: () => this.setMode("signin") }, "I have an account");
    this.tabRegister = h("button", { type: "button", class: "segment", "aria-pressed": "false", onclick: () => this.setMode("register") }, "I am new here");
    this.nameInput = h("input", { id: ids.name, name: "name", autocomplete: "name", maxlength: 100 });
    this.emailInput = h("input", { id: ids.email, name: "email", type: "email", autocomplete: "email", required: true });
    this.passwordInput = h("input", {
      id: ids.password,
      name: "password",
      type: "password",
      autocomplete: "current-password",
      required: true,
      minlength: 8,
      "aria-describedby": ids.hint,
    });
    this.roleStudent = h("input", { type: "radio", name: "role", value: "student", checked: true });
    this.roleTeacher = h("input", { type: "radio", name: "role", value: "teacher" });
    this.codeInput = h("input", { id: ids.code, name: "teacherCode", autocomplete: "off" });
    this.error = h("p", { id: ids.error, class: "form-error", role: "alert" });
    this.submit = h("button", { type: "submit", class: "primary" }, "Sign in");

    this.nameRow = h("div", { class: "field" }, h("label", { for: ids.name }, "Name"), this.nameInput);
    this.roleRow = h(
      "fieldset",
      { class: "field roles" },
      h("legend", {}, "I am a"),
      h("label", { class: "choice" }, this.roleStudent, " Student"),
      h("label", { class: "choice" }, this.roleTeacher, " Teacher"),
    );
    this.codeRow = h(
      "div",
      { class: "field" },
      h("label", { for: ids.code }, "Teacher code"),
      this.codeInput,
      h("p", { class: "hint" }, "Ask the administrator of this server for it."),
    );
    for (const radio of [this.roleStudent, this.roleTeacher]) {
      radio.addEventListener("change", () => this.#showCodeRow());
    }

    this.form = h(
      "form",
      { method: "dialog", class: "auth-form", novalidate: true },
      h("div", { class: "segments", role: "group", "aria-label": "Choose" }, this.tabSignIn, this.tabRegister),
      intro ? h("p", { class: "hint" }, intro) : null,
      this.nameRow,
      h("div", { class: "field" }, h("label", { for: ids.email }, "Email"), this.emailInput),
      h(
        "div",
        { class: "field" },
        h("label", { for: ids.password }, "Password"),
        this.passwordInput,
        h("p", { class: "hint", id: ids.hint }, "At least 8 characters."),
      ),
      this.roleRow,
      this.codeRow,
      this.error,
      h(
        "div",
        { class: "dialog-actions" },
        h("button", { type: "button", onclick: () => this.close() }, "Cancel"),
        this.submit,
      ),
    );
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#submit();
    });
    this.dialog = h("dialog", { class: "auth-dialog", "aria-labelledby": ids.title }, this.title, this.form);
    this.dialog.addEventListener("close", () => {
      // Signing in redraws the header, so the button that opened the dialog may be gone.
      const target = this.returnFocus?.isConnected ? this.returnFocus : document.querySelector(".account button, .account a");
      target?.focus();
    });
  }

  /** @param {"signin"|"register"} mode */
  open(mode = "signin") {
    this.returnFocus = document.activeElement;
    this.error.textContent = "";
    this.form.reset();
    (this.defaultRole === "teacher" ? this.roleTeacher : this.roleStudent).checked = true;
    this.setMode(mode);
    this.dialog.showModal();
    (mode === "register" ? this.nameInput : this.emailInput).focus();
  }

  close() {
    this.dialog.close();
  }

  setMode(mode) {
    this.mode = mode;
    const register = mode === "register";
    this.title.textContent = register ? "Create an account" : "Sign in";
    this.submit.textContent = register ? "Create account" : "Sign in";
    this.tabSignIn.setAttribute("aria-pressed", String(!register));
    this.tabRegister.setAttribute("aria-pressed", String(register));
    this.nameRow.hidden = !register;
    this.roleRow.hidden = !register;
    this.nameInput.required = register;
    this.passwordInput.autocomplete = register ? "new-password" : "current-password";
    this.error.textContent = "";
    this.#showCodeRow();
  }

  #showCodeRow() {
    const needed = this.mode === "register" && this.roleTeacher.checked;
    this.codeRow.hidden = !needed;
    this.codeInput.required = needed;
  }

  #problem() {
    const register = this.mode === "register";
    if (register && !this.nameInput.value.trim()) return [this.nameInput, "Enter your name."];
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(this.emailInput.value.trim())) {
      return [this.emailInput, "Enter an email address, like ada@example.org."];
    }
    if (this.passwordInput.value.length < 8) {
      return [this.passwordInput, "The password needs at least 8 characters."];
    }
    if (register && this.roleTeacher.checked && !this.codeInput.value) {
      return [this.codeInput, "A teacher account needs the teacher code."];
    }
    return null;
  }

  async #submit() {
    for (const input of [this.nameInput, this.emailInput, this.passwordInput, this.codeInput]) {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-errormessage");
    }
    const problem = this.#problem();
    if (problem) {
      const [input, message] = problem;
      this.error.textContent = message;
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-errormessage", this.ids.error);
      input.focus();
      return;
    }
    this.submit.disabled = true;
    this.error.textContent = "";
    try {
      if (this.mode === "register") {
        const role = this.roleTeacher.checked ? "teacher" : "student";
        await this.auth.register({
          name: this.nameInput.value.trim(),
          email: this.emailInput.value.trim(),
          password: this.passwordInput.value,
          role,
          ...(role === "teacher" ? { teacherCode: this.codeInput.value } : {}),
        });
      } else {
        await this.auth.signIn(this.emailInput.value.trim(), this.passwordInput.value);
      }
      this.close();
    } catch (error) {
      this.error.textContent = authMessage(error, this.mode);
    } finally {
      this.submit.disabled = false;
    }
  }
}

function authMessage(error, mode) {
  if (error instanceof ApiError) {
    if (error.code === "unauthorized") return "Wrong email or password.";
    if (error.code === "conflict") return "This email is already registered: sign in instead.";
    if (error.code === "forbidden" && mode === "register") return "That teacher code is not right.";
  }
  return describeError(error);
}

/** The dialog that changes the password, which signs every other device out. */
export class PasswordDialog {
  /** @param {Auth} auth */
  constructor(auth) {
    this.auth = auth;
    const id = `password-${++dialogCount}`;
    this.current = h("input", { id: `${id}-current`, type: "password", autocomplete: "current-password", required: true });
    this.next = h("input", { id: `${id}-new`, type: "password", autocomplete: "new-password", required: true, minlength: 8 });
    this.error = h("p", { id: `${id}-error`, class: "form-error", role: "alert" });
    this.submit = h("button", { type: "submit", class: "primary" }, "Change password");
    this.form = h(
      "form",
      { method: "dialog", class: "auth-form", novalidate: true },
      h("p", { class: "hint" }, "Every other device signed in to this account is signed out."),
      h("div", { class: "field" }, h("label", { for: this.current.id }, "Current password"), this.current),
      h("div", { class: "field" }, h("label", { for: this.next.id }, "New password"), this.next, h("p", { class: "hint" }, "At least 8 characters.")),
      this.error,
      h("div", { class: "dialog-actions" }, h("button", { type: "button", onclick: () => this.dialog.close() }, "Cancel"), this.submit),
    );
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#submit();
    });
    this.dialog = h("dialog", { class: "auth-dialog", "aria-labelledby": `${id}-title` }, h("h2", { id: `${id}-title` }, "Change password"), this.form);
    document.body.append(this.dialog);
  }

  open() {
    this.form.reset();
    this.error.textContent = "";
    this.dialog.showModal();
    this.current.focus();
  }

  async #submit() {
    if (this.next.value.length < 8) {
      this.error.textContent = "The new password needs at least 8 characters.";
      this.next.focus();
      return;
    }
    this.submit.disabled = true;
    try {
      await this.auth.changePassword(this.current.value, this.next.value);
      this.dialog.close();
    } catch (error) {
      this.error.textContent =
        error instanceof ApiError && error.code === "forbidden" ? "That is not your current password." : describeError(error);
    } finally {
      this.submit.disabled = false;
    }
  }
}

/** The header's account area: "Sign in" when signed out, the user and "Sign out" otherwise. */
export function mountAccount(container, auth, dialog, { extraLinks = () => [] } = {}) {
  let passwords = null;
  const render = () => {
    if (auth.signedIn) {
      const user = auth.user;
      container.replaceChildren(
        ...extraLinks(user),
        h(
          "span",
          { class: "who" },
          h("span", { class: "who-name", "data-testid": "user-name" }, user.name),
          h("span", { class: `role-badge role-${user.role}` }, user.role),
        ),
        h("button", { type: "button", class: "ghost", onclick: () => (passwords ??= new PasswordDialog(auth)).open() }, "Change password"),
        h("button", { type: "button", class: "ghost", onclick: () => auth.signOut() }, "Sign out"),
      );
    } else {
      container.replaceChildren(
        ...extraLinks(null),
        h("button", { type: "button", class: "ghost", onclick: () => dialog.open("signin") }, "Sign in"),
        h("button", { type: "button", class: "accent", onclick: () => dialog.open("register") }, "Create account"),
      );
    }
  };
  auth.addEventListener("change", render);
  render();
}
