// A check's verdict where the eye is: in the console area, one row per test case, the first
// failing case open with the expected and actual output side by side, the first line where
// they differ marked.

import { describeError } from "./api.js";
import { h, srOnly } from "./dom.js";
import { duration, statusLabel } from "./format.js";

export class VerdictView {
  /** @param {HTMLElement} root the results region */
  constructor(root) {
    this.root = root;
  }

  checking(title) {
    this.root.setAttribute("aria-busy", "true");
    this.root.replaceChildren(h("p", { class: "muted" }, `Checking your solution to “${title}” against every test…`));
  }

  failed(error) {
    this.root.removeAttribute("aria-busy");
    this.root.replaceChildren(h("p", { class: "verdict bad" }, `Could not check: ${describeError(error)}`));
  }

  /** @param {object} verdict the answer of `POST /api/exercises/validate` */
  show(verdict, { signedIn }) {
    this.root.removeAttribute("aria-busy");
    const summary = verdict.passed
      ? `All ${verdict.total} tests passed. Well done!`
      : `${verdict.passedCount} of ${verdict.total} tests passed: ${statusLabel(verdict.status)}`;
    const nodes = [h("h3", { class: `verdict ${verdict.passed ? "good" : "bad"}` }, summary)];
    if (verdict.compileOutput) {
      nodes.push(h("p", {}, "The compiler said:"), h("pre", { class: "compile-output" }, verdict.compileOutput));
    }
    if (verdict.passed && !signedIn) {
      nodes.push(h("p", { class: "muted" }, "Sign in to have it marked as solved."));
    }
    const firstOpen = verdict.results.find((result) => !result.passed && !result.hidden);
    nodes.push(h("ol", { class: "cases" }, ...verdict.results.map((result) => caseItem(result, result === firstOpen))));
    this.root.replaceChildren(...nodes);
  }

  /** Scroll the results to the failing case that is open, if any. */
  revealFailure() {
    this.root.querySelector(".case details[open]")?.closest(".case")?.scrollIntoView({ block: "start", behavior: "instant" });
  }
}

function caseItem(result, open) {
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
  const difference = result.passed ? -1 : firstDifference(result.expected, result.actual);
  const details = h(
    "details",
    { open },
    h("summary", {}, head),
    io("Input", result.input, "input"),
    h(
      "div",
      { class: "side-by-side" },
      io("Expected output", result.expected, "expected", difference),
      io("Your output", result.actual, "actual", difference),
    ),
    difference >= 0 ? h("p", { class: "difference" }, differenceText(result.expected, result.actual, difference)) : null,
    result.stderr ? io("Error output", result.stderr, "stderr") : null,
  );
  return h("li", { class: `case ${tone}`, dataset: { index: result.index } }, details);
}

/** The index of the first line that differs (-1 when none does). */
export function firstDifference(expected, actual) {
  const a = lines(expected);
  const b = lines(actual);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return i;
  }
  return -1;
}

function lines(text) {
  const all = (text ?? "").split("\n");
  if (all.length > 1 && all[all.length - 1] === "") all.pop();
  return all;
}

function differenceText(expected, actual, index) {
  const a = lines(expected);
  const b = lines(actual);
  if (index >= b.length) return `Your output stops before line ${index + 1}.`;
  if (index >= a.length) return `Your output has more lines than expected, from line ${index + 1}.`;
  if (a[index].trimEnd() === b[index].trimEnd()) return `Line ${index + 1} differs in its spaces at the end.`;
  return `The first difference is on line ${index + 1}.`;
}

function io(label, text, kind, marked = -1) {
  let body;
  if (text === "" || text === null || text === undefined) {
    body = h("pre", {}, h("span", { class: "muted" }, "(nothing)"));
  } else if (marked < 0) {
    body = h("pre", {}, text);
  } else {
    body = h(
      "pre",
      {},
      ...lines(text).map((line, i) =>
        i === marked
          ? h("mark", { class: "diff-line" }, srOnly("differs: "), line || " ", "\n")
          : `${line}\n`,
      ),
    );
  }
  return h("div", { class: `io ${kind}` }, h("span", { class: "io-label" }, label), body);
}
