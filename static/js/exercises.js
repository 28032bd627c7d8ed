// The exercises panel: the list (with solved marks), one exercise's statement and examples;
// "Check solution" asks for the verdict (verdict.js shows it).

import { describeError } from "./api.js";
import { h, srOnly } from "./dom.js";
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
    // The statement often shows an example itself: only the others are listed below it.
    const shown = codeBlocks(exercise.description);
    const extra = (exercise.examples ?? []).filter(
      (example) => !(shown.has(example.input.trim()) && shown.has(example.output.trim())),
    );
    const examples = extra.map((example, index) =>
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
      examples.length ? h("h3", {}, shown.size ? "More examples" : "Examples") : null,
      ...examples,
      h(
        "p",
        { class: "panel-actions" },
        h("button", { type: "button", class: "ghost small", onclick: () => this.dispatchEvent(new Event("reset")) }, "Reset to the starter code"),
      ),
    );
    this.#markSolved();
  }

  #markSolved() {
    const item = this.items.find((i) => i.slug === this.current?.slug);
    if (this.solvedMark) this.solvedMark.hidden = !item?.solved;
  }

  /** Check the code against every test case: the verdict, for the page to show. */
  async check(language, code) {
    const exercise = this.current;
    const verdict = await this.api.post("/api/exercises/validate", { exerciseId: exercise.id, language, code });
    if (verdict.passed) await this.refresh();
    return verdict;
  }
}

/** The text of every fenced code block of a statement, trimmed. */
function codeBlocks(markdown) {
  const blocks = new Set();
  for (const match of (markdown ?? "").matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)) blocks.add(match[1].trim());
  return blocks;
}
