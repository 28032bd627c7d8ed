// The exercises panel: the list (with solved marks), one exercise's statement and examples,
// and the verdict of "Check solution", case by case.

import { describeError } from "./api.js";
import { h, srOnly } from "./dom.js";
import { duration, statusLabel } from "./format.js";
import { renderMarkdown } from "./markdown.js";

export class ExercisesPanel extends EventTarget {
  /**
   * @param {HTMLElement} root the tab panel
   * @param {{api: import("./api.js").Api, auth: import("./auth.js").Auth, onSignIn: () => void}} deps
   */
  constructor(root, { api, auth, onSignIn }) {
    super();
    this.root = root;
    this.api = api;
    this.auth = auth;
    this.onSignIn = onSignIn;
    this.items = [];
    this.current = null; // the open exercise (detail JSON)
    this.listStatus = h("p", { class: "muted", role: "status" });
    this.list = h("ul", { class: "item-list", "aria-label": "Exercises" });
    this.listView = h(
      "div",
      { class: "list-view" },
      h("div", { class: "panel-head" }, h("h2", {}, "Exercises")),
      this.listStatus,
      this.list,
    );
    this.detailView = h("div", { class: "detail-view", hidden: true });
    root.replaceChildren(this.listView, this.detailView);
    auth.addEventListener("change", () => this.refresh());
  }

  async refresh() {
    try {
      const { exercises } = await this.api.get("/api/exercises");
      this.items = exercises;
      this.#renderList();
      this.listStatus.textContent = this.auth.signedIn
        ? ""
        : "Sign in to keep track of the exercises you solve.";
    } catch (error) {
      this.listStatus.textContent = `Could not load the exercises: ${describeError(error)}`;
    }
  }

  #renderList() {
    const focusedSlug = document.activeElement?.dataset?.slug;
    this.list.replaceChildren(
      ...this.items.map((item) => {
        const button = h(
          "button",
          {
            type: "button",
            class: "item exercise-item",
            dataset: { slug: item.slug },
            onclick: () => this.open(item.slug),
          },
          h(
            "span",
            { class: "item-title" },
            item.solved ? h("span", { class: "solved", title: "Solved" }, h("span", { "aria-hidden": "true" }, "✓"), srOnly(" (solved)")) : null,
            item.title,
          ),
          h("span", { class: `badge difficulty-${item.difficulty}` }, item.difficulty),
          h("span", { class: "item-sub" }, item.summary),
        );
        return h("li", {}, button);
      }),
    );
    if (focusedSlug) this.list.querySelector(`[data-slug="${CSS.escape(focusedSlug)}"]`)?.focus();
    if (this.current) this.#markSolved();
  }

  /** Open one exercise: show its statement and tell the page to load its starter code. */
  async open(slug) {
    let exercise;
    try {
      exercise = await this.api.get(`/api/exercises/${encodeURIComponent(slug)}`);
    } catch (error) {
      this.listStatus.textContent = `Could not open the exercise: ${describeError(error)}`;
      return;
    }
    this.current = exercise;
    this.#renderDetail(exercise);
    this.listView.hidden = true;
    this.detailView.hidden = false;
    this.detailTitle.focus();
    this.dispatchEvent(new CustomEvent("open", { detail: exercise }));
  }

  close() {
    if (!this.current) return;
    const slug = this.current.slug;
    this.current = null;
    this.detailView.hidden = true;
    this.listView.hidden = false;
    this.list.querySelector(`[data-slug="${CSS.escape(slug)}"]`)?.focus();
    this.dispatchEvent(new Event("close"));
  }

  #renderDetail(exercise) {
    this.detailTitle = h("h2", { tabindex: "-1", class: "exercise-title" }, exercise.title);
    this.solvedMark = h("span", { class: "badge good", hidden: true }, h("span", { "aria-hidden": "true" }, "✓ "), "Solved");
    this.results = h("section", { class: "results", "aria-label": "Check results", "aria-live": "polite" });
    const examples = (exercise.examples ?? []).map((example, index) =>
      h(
        "figure",
        { class: "example" },
        h("figcaption", {}, `Example ${index + 1}`),
        h("div", { class: "io" }, h("span", { class: "io-label" }, "Input"), h("pre", {}, example.input || "(empty)")),
        h("div", { class: "io" }, h("span", { class: "io-label" }, "Output"), h("pre", {}, example.output || "(empty)")),
      ),
    );
    this.detailView.replaceChildren(
      h("button", { type: "button", class: "link-button back", onclick: () => this.close() }, h("span", { "aria-hidden": "true" }, "← "), "All exercises"),
      this.detailTitle,
      h("p", { class: "badges" }, h("span", { class: `badge difficulty-${exercise.difficulty}` }, exercise.difficulty), " ", this.solvedMark),
      h("div", { class: "markdown" }, renderMarkdown(exercise.description)),
      examples.length ? h("h3", {}, "Examples") : null,
      ...examples,
      h(
        "p",
        { class: "panel-actions" },
        h("button", { type: "button", class: "ghost small", onclick: () => this.dispatchEvent(new Event("reset")) }, "Reset to the starter code"),
      ),
      this.results,
    );
    this.#markSolved();
  }

  #markSolved() {
    const item = this.items.find((i) => i.slug === this.current?.slug);
    if (this.solvedMark) this.solvedMark.hidden = !item?.solved;
  }

  /** Check the code against every test case and show the verdict. */
  async check(language, code) {
    if (!this.current) return;
    const exercise = this.current;
    this.results.setAttribute("aria-busy", "true");
    this.results.replaceChildren(h("p", { class: "muted" }, "Checking your solution against every test…"));
    try {
      const verdict = await this.api.post("/api/exercises/validate", { exerciseId: exercise.id, language, code });
      if (this.current !== exercise) return;
      this.#renderVerdict(verdict);
      if (verdict.passed) await this.refresh();
    } catch (error) {
      if (this.current !== exercise) return;
      this.results.replaceChildren(h("p", { class: "verdict bad" }, `Could not check: ${describeError(error)}`));
    } finally {
      this.results.removeAttribute("aria-busy");
    }
  }

  #renderVerdict(verdict) {
    const summary = verdict.passed
      ? `All ${verdict.total} tests passed. Well done!`
      : `${verdict.passedCount} of ${verdict.total} tests passed: ${statusLabel(verdict.status)}`;
    const nodes = [h("h3", { class: `verdict ${verdict.passed ? "good" : "bad"}` }, summary)];
    if (verdict.compileOutput) {
      nodes.push(h("p", {}, "The compiler said:"), h("pre", { class: "compile-output" }, verdict.compileOutput));
    }
    if (verdict.passed && !this.auth.signedIn) {
      nodes.push(h("p", { class: "muted" }, "Sign in to have it marked as solved."));
    }
    nodes.push(h("ol", { class: "cases" }, ...verdict.results.map((result) => caseItem(result))));
    this.results.replaceChildren(...nodes);
  }
}

function caseItem(result) {
  const number = result.index + 1;
  // A hidden test says only whether it passed: how it failed, and its time, would tell its input.
  const outcome = result.passed ? "passed" : result.hidden ? "failed" : `failed (${statusLabel(result.status)})`;
  const title = result.hidden ? `Hidden test #${number}: ${outcome}` : `Test #${number}: ${outcome}`;
  const head = h(
    "span",
    { class: "case-title" },
    h("span", { class: "case-icon", "aria-hidden": "true" }, result.passed ? "✓" : "✗"),
    title,
    result.hidden ? null : h("span", { class: "muted" }, ` · ${duration(result.durationMs)}`),
  );
  const tone = result.passed ? "good" : "bad";
  if (result.hidden) return h("li", { class: `case ${tone}`, dataset: { index: result.index } }, head);
  const details = h(
    "details",
    { open: !result.passed },
    h("summary", {}, head),
    io("Input", result.input),
    io("Expected output", result.expected),
    io("Your output", result.actual),
    result.stderr ? io("Error output", result.stderr, "stderr") : null,
  );
  return h("li", { class: `case ${tone}`, dataset: { index: result.index } }, details);
}

function io(label, text, extra = "") {
  return h("div", { class: `io ${extra}` }, h("span", { class: "io-label" }, label), h("pre", {}, text === "" ? "(nothing)" : text));
}
