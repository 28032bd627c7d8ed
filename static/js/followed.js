// Being followed: while teachers follow this student (`watched` on `/ws/run`), the page says so,
// and what the editor holds goes to them as it changes (debounced: one `code` message per pause).

const DEBOUNCE_MS = 400;

export class CodeSharing {
  /**
   * @param {{socket: import("./socket.js").ReconnectingSocket, workspace: import("./workspace.js").Workspace,
   *   editor: import("./editor.js").CodeEditor, indicator: HTMLElement}} parts
   */
  constructor({ socket, workspace, editor, indicator }) {
    this.socket = socket;
    this.workspace = workspace;
    this.editor = editor;
    this.indicator = indicator;
    this.watchers = 0;
    this.timer = null;
    this.sent = null;
    socket.addEventListener("message", (event) => {
      if (event.detail.type === "watched") this.#watched(event.detail.watchers);
    });
    // A new connection is told again when anyone follows.
    socket.addEventListener("close", () => this.#watched(0));
    editor.addEventListener("input", () => this.#soon());
    workspace.addEventListener("change", () => this.#soon());
  }

  #watched(count) {
    const was = this.watchers;
    this.watchers = Math.max(0, Number(count) || 0);
    this.indicator.hidden = this.watchers === 0;
    // The count is of following connections (a teacher's page may hold two), not of people.
    this.indicator.textContent = this.watchers === 0 ? "" : "Your teacher is following your work";
    if (this.watchers > 0 && was === 0) {
      this.sent = null;
      this.#send();
    }
    if (this.watchers === 0) clearTimeout(this.timer);
  }

  #soon() {
    if (!this.watchers) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.#send(), DEBOUNCE_MS);
  }

  #send() {
    const language = this.workspace.language;
    const code = this.editor.value;
    if (!this.watchers || !language) return;
    const key = `${language}\n${code}`;
    if (key === this.sent) return;
    if (this.socket.send({ type: "code", language, code })) this.sent = key;
  }
}
