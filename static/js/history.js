// The history panel: the signed-in user's recent runs; choosing one loads its code.

import { describeError } from "./api.js";
import { h } from "./dom.js";
import { duration, shortDateTime, statusLabel, statusTone } from "./format.js";

export class HistoryPanel extends EventTarget {
  /**
   * @param {HTMLElement} root the tab panel
   * @param {{api: import("./api.js").Api, auth: import("./auth.js").Auth, onSignIn: () => void, languageName: (id: string) => string}} deps
   */
  constructor(root, { api, auth, onSignIn, languageName }) {
    super();
    this.root = root;
    this.api = api;
    this.auth = auth;
    this.onSignIn = onSignIn;
    this.languageName = languageName;
    this.runs = [];
    this.status = h("p", { class: "muted", role: "status" });
    this.list = h("ul", { class: "item-list", "aria-label": "Recent runs" });
    this.refreshButton = h("button", { type: "button", class: "ghost small", onclick: () => this.refresh() }, "Refresh");
    root.replaceChildren(
      h("div", { class: "panel-head" }, h("h2", {}, "Your recent runs"), this.refreshButton),
      this.status,
      this.list,
    );
    auth.addEventListener("change", () => this.refresh());
  }

  /**
   * Refresh until the run `id` is listed: the server records a run just after its exit
   * message, once the container is gone, so the first answer may not have it yet.
   */
  async expectRun(id) {
    const token = (this.waitingFor = Symbol(id));
    for (const delay of [250, 500, 1000, 2000, 3000, 5000, 8000]) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (this.waitingFor !== token || !this.auth.signedIn) return;
      await this.refresh();
      if (this.runs.some((run) => run.id === id)) return;
    }
  }

  async refresh() {
    if (!this.auth.signedIn) {
      this.runs = [];
      this.list.replaceChildren();
      this.refreshButton.hidden = true;
      this.status.replaceChildren(
        "Sign in to keep a history of your runs. ",
        h("button", { type: "button", class: "link-button", onclick: () => this.onSignIn() }, "Sign in"),
      );
      return;
    }
    this.refreshButton.hidden = false;
    try {
      const { executions } = await this.api.get("/api/executions?limit=20");
      this.runs = executions;
      this.status.textContent = executions.length ? "" : "No runs yet: run a program and it shows up here.";
      this.#render();
    } catch (error) {
      this.status.textContent = `Could not load your runs: ${describeError(error)}`;
    }
  }

  #render() {
    const focused = document.activeElement?.dataset?.runId;
    this.list.replaceChildren(
      ...this.runs.map((run) => {
        const firstLine = run.code.split("\n").find((line) => line.trim()) ?? "";
        return h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: "item run-item",
              dataset: { runId: run.id },
              title: "Load this code into the editor",
              onclick: () => this.dispatchEvent(new CustomEvent("load", { detail: run })),
            },
            h("span", { class: "item-title" }, this.languageName(run.language)),
            h("span", { class: `badge ${statusTone(run.status)}` }, statusLabel(run.status)),
            h(
              "span",
              { class: "item-sub" },
              h("time", { datetime: run.createdAt }, shortDateTime(run.createdAt)),
              run.durationMs !== null ? ` · ${duration(run.durationMs)}` : "",
              run.source === "rest" ? " · API" : "",
            ),
            h("code", { class: "item-code" }, firstLine.trim().slice(0, 80)),
          ),
        );
      }),
    );
    if (focused) this.list.querySelector(`[data-run-id="${CSS.escape(focused)}"]`)?.focus();
  }
}
