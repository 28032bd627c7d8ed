// A console pane: program output as it arrives (stdout and stderr told apart by colour, a
// left rule and a screen-reader marker), the input that was typed, and notices about the run.

import { h, srOnly } from "./dom.js";

const MAX_CHARS = 400_000;
const STREAM_MARKERS = {
  stdout: "",
  stderr: "error output: ",
  stdin: "typed: ",
};

export class ConsoleView {
  /**
   * @param {HTMLElement} element the log element (role="log")
   * @param {{stdinMarker?: string}} options what a screen reader hears before typed input
   */
  constructor(element, { stdinMarker = STREAM_MARKERS.stdin } = {}) {
    this.element = element;
    this.markers = { ...STREAM_MARKERS, stdin: stdinMarker };
    this.size = 0;
    this.last = null; // the span output is being appended to
    this.trimNotice = null;
  }

  clear() {
    this.element.replaceChildren();
    this.size = 0;
    this.last = null;
  }

  /** Append text of one stream: `stdout`, `stderr` or `stdin` (what was typed). */
  write(stream, text) {
    if (!text) return;
    const follow = this.#atBottom();
    if (this.last && this.last.dataset.stream === stream && this.last.isConnected) {
      this.last.lastChild.appendData(text);
    } else {
      const marker = this.markers[stream];
      this.last = h(
        "span",
        { class: `out ${stream}`, dataset: { stream } },
        marker ? srOnly(marker) : null,
        document.createTextNode(text),
      );
      this.element.append(this.last);
    }
    this.size += text.length;
    this.#trim();
    if (follow) this.#scrollToEnd();
  }

  /**
   * A line about the run itself (not the program's output).
   * @param {string} text
   * @param {"info"|"good"|"bad"|"warn"} tone
   */
  notice(text, tone = "info") {
    const follow = this.#atBottom();
    const line = h("div", { class: `notice ${tone}` }, text);
    this.element.append(line);
    this.last = null;
    this.size += text.length;
    this.#trim();
    if (follow) this.#scrollToEnd();
    return line;
  }

  #atBottom() {
    const el = this.element;
    return el.scrollHeight - el.scrollTop - el.clientHeight < 40;
  }

  #scrollToEnd() {
    this.element.scrollTop = this.element.scrollHeight;
  }

  #trim() {
    if (this.size <= MAX_CHARS) return;
    if (!this.trimNotice?.isConnected) {
      this.trimNotice = h("div", { class: "notice warn" }, "(earlier output removed from view)");
      this.element.prepend(this.trimNotice);
    }
    while (this.size > MAX_CHARS * 0.8 && this.trimNotice.nextSibling) {
      const oldest = this.trimNotice.nextSibling;
      this.size -= oldest.textContent.length;
      if (oldest === this.last) this.last = null;
      oldest.remove();
    }
  }
}
