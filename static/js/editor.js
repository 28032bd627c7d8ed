// A code editor on a plain <textarea>: a line-number gutter that follows it (scrolling too),
// Tab / Shift+Tab indent and outdent by four spaces, Enter keeps the indentation, and
// Ctrl/Cmd+Enter asks to run. Esc then Tab leaves the editor (Tab alone indents).

import { h } from "./dom.js";

const INDENT = "    ";
const OPENERS = /[:{[(]\s*$/;
const PAIRS = { "{": "}", "[": "]", "(": ")" };

export class CodeEditor {
  /**
   * @param {HTMLElement} root an empty element to fill
   * @param {{id?: string, label: string, readOnly?: boolean, onRun?: () => void, hintId?: string}} options
   */
  constructor(root, { id, label, readOnly = false, onRun = null, hintId = null }) {
    this.onRun = onRun;
    this.readOnly = readOnly;
    this.lineCount = 0;
    this.tabLeaves = false;
    this.numbers = h("pre", { class: "gutter-lines" });
    this.gutter = h("div", { class: "gutter", "aria-hidden": "true" }, this.numbers);
    this.textarea = h("textarea", {
      id,
      class: "code",
      spellcheck: "false",
      autocapitalize: "off",
      autocomplete: "off",
      autocorrect: "off",
      wrap: "off",
      "aria-label": label,
      "aria-describedby": hintId,
      readonly: readOnly,
      "aria-readonly": readOnly ? "true" : null,
    });
    root.classList.add("editor");
    root.classList.toggle("readonly", readOnly);
    root.replaceChildren(this.gutter, this.textarea);
    this.textarea.addEventListener("input", () => this.#refreshGutter());
    this.textarea.addEventListener("scroll", () => this.#syncScroll());
    this.textarea.addEventListener("keydown", (event) => this.#onKeyDown(event));
    this.#refreshGutter();
  }

  get value() {
    return this.textarea.value;
  }

  set value(text) {
    this.textarea.value = text;
    this.textarea.setSelectionRange(0, 0);
    this.textarea.scrollTop = 0;
    this.textarea.scrollLeft = 0;
    this.#refreshGutter();
    this.#syncScroll();
  }

  focus() {
    this.textarea.focus();
  }

  addEventListener(type, listener) {
    this.textarea.addEventListener(type, listener);
  }

  #refreshGutter() {
    let count = 1;
    const text = this.textarea.value;
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) count++;
    if (count === this.lineCount) return;
    this.lineCount = count;
    const lines = new Array(count);
    for (let i = 0; i < count; i++) lines[i] = i + 1;
    this.numbers.textContent = lines.join("\n");
    this.gutter.style.setProperty("--digits", String(String(count).length));
    this.#syncScroll();
  }

  #syncScroll() {
    this.gutter.scrollTop = this.textarea.scrollTop;
  }

  #onKeyDown(event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault();
      this.onRun?.();
      return;
    }
    if (this.readOnly || event.isComposing) return;
    if (event.key === "Escape") {
      this.tabLeaves = true;
      return;
    }
    if (event.key === "Tab" && !event.ctrlKey && !event.altKey && !event.metaKey) {
      if (this.tabLeaves) {
        this.tabLeaves = false;
        return; // the browser moves the focus
      }
      event.preventDefault();
      if (event.shiftKey) this.#outdent();
      else this.#indent();
      return;
    }
    this.tabLeaves = false;
    if (event.key === "Enter" && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      this.#newline();
    } else if (event.key === "Backspace" && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey) {
      if (this.#backspaceIndent()) event.preventDefault();
    }
  }

  /** Lines touched by the selection: [start of first line, end of last line]. */
  #selectedLines() {
    const { value, selectionStart, selectionEnd } = this.textarea;
    const start = value.lastIndexOf("\n", selectionStart - 1) + 1;
    let endPoint = selectionEnd;
    // A selection ending at the very start of a line does not include that line.
    if (endPoint > selectionStart && value[endPoint - 1] === "\n") endPoint -= 1;
    let end = value.indexOf("\n", endPoint);
    if (end === -1) end = value.length;
    return [start, end];
  }

  #indent() {
    const { value, selectionStart, selectionEnd } = this.textarea;
    if (!value.slice(selectionStart, selectionEnd).includes("\n")) {
      this.#replace(selectionStart, selectionEnd, INDENT);
      return;
    }
    const [start, end] = this.#selectedLines();
    const lines = value.slice(start, end).split("\n");
    const indented = lines.map((line) => (line.trim() ? INDENT + line : line)).join("\n");
    const firstShift = lines[0].trim() ? INDENT.length : 0;
    this.#replace(start, end, indented, [selectionStart + firstShift, selectionEnd + (indented.length - (end - start))]);
  }

  #outdent() {
    const { value, selectionStart, selectionEnd } = this.textarea;
    const [start, end] = this.#selectedLines();
    const lines = value.slice(start, end).split("\n");
    const removed = lines.map((line) => {
      if (line.startsWith("\t")) return 1;
      return line.length - line.replace(/^ {1,4}/, "").length;
    });
    if (removed.every((n) => n === 0)) return;
    const outdented = lines.map((line, i) => line.slice(removed[i])).join("\n");
    const total = removed.reduce((a, b) => a + b, 0);
    const newStart = Math.max(start, selectionStart - removed[0]);
    this.#replace(start, end, outdented, [newStart, Math.max(newStart, selectionEnd - total)]);
  }

  #newline() {
    const { value, selectionStart, selectionEnd } = this.textarea;
    const lineStart = value.lastIndexOf("\n", selectionStart - 1) + 1;
    let lineEnd = value.indexOf("\n", selectionEnd);
    if (lineEnd === -1) lineEnd = value.length;
    const before = value.slice(lineStart, selectionStart);
    const indent = before.match(/^[ \t]*/)[0];
    const opens = OPENERS.test(before);
    const inner = "\n" + indent + (opens ? INDENT : "");
    const closer = PAIRS[before.trimEnd().slice(-1)];
    const rest = value.slice(selectionEnd, lineEnd);
    if (opens && closer && rest.trimStart().startsWith(closer)) {
      // Between a pair of brackets: the closing one goes to its own line, back at `indent`.
      const spaces = rest.length - rest.trimStart().length;
      const caret = selectionStart + inner.length;
      this.#replace(selectionStart, selectionEnd + spaces, inner + "\n" + indent, [caret, caret]);
    } else {
      this.#replace(selectionStart, selectionEnd, inner);
    }
  }

  /** Backspace in leading spaces removes back to the previous multiple of four. */
  #backspaceIndent() {
    const { value, selectionStart, selectionEnd } = this.textarea;
    if (selectionStart !== selectionEnd || selectionStart === 0) return false;
    const lineStart = value.lastIndexOf("\n", selectionStart - 1) + 1;
    const before = value.slice(lineStart, selectionStart);
    if (!before || /[^ ]/.test(before)) return false;
    const width = before.length % INDENT.length || INDENT.length;
    if (width === 1) return false;
    this.#replace(selectionStart - width, selectionStart, "");
    return true;
  }

  /**
   * Replace [start, end) with text, through the browser's editing commands when it has them so
   * that undo (Ctrl+Z) still works; then select `selection` (default: a caret after the text).
   */
  #replace(start, end, text, selection = null) {
    const area = this.textarea;
    area.focus();
    area.setSelectionRange(start, end);
    let done = false;
    try {
      done = text === "" && start === end ? true : document.execCommand(text ? "insertText" : "delete", false, text);
    } catch {
      done = false;
    }
    if (!done || area.value.slice(start, start + text.length) !== text) {
      area.setRangeText(text, start, end, "end");
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }
    const [from, to] = selection ?? [start + text.length, start + text.length];
    area.setSelectionRange(from, to);
  }
}
