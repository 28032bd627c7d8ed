// Running the editor's program over `/ws/run`: the Run / Interrupt / Stop buttons, the input
// line, the console and the status line, and the connection's state in the header.

import { setLiveText } from "./dom.js";
import { describeExit, statusTone } from "./format.js";

export class Runner extends EventTarget {
  /**
   * @param {{
   *   socket: import("./socket.js").ReconnectingSocket,
   *   console: import("./console.js").ConsoleView,
   *   elements: Record<string, HTMLElement>,
   *   program: () => ({language: string, code: string, languageName: string, args?: string[], stdin?: string}),
   *   hold?: () => boolean,
   * }} options `program` may throw an Error whose message says why there is nothing to run;
   *   `hold` answers true when a run must wait (it keeps the request itself)
   */
  constructor({ socket, console, elements, program, hold = () => false }) {
    super();
    this.hold = hold;
    this.socket = socket;
    this.console = console;
    this.el = elements;
    this.program = program;
    this.state = "idle"; // idle | starting | running
    this.inputClosed = false;
    this.blockedUntil = 0;
    this.blockTimer = null;
    this.typed = [];
    this.typedIndex = 0;

    socket.addEventListener("message", (event) => this.#onMessage(event.detail));
    socket.addEventListener("close", (event) => this.#onClose(event.detail));
    socket.addEventListener("state", (event) => this.#showConnection(event.detail));

    this.el.run.addEventListener("click", () => this.run());
    this.el.stop.addEventListener("click", () => this.signal("SIGKILL"));
    this.el.interrupt.addEventListener("click", () => this.signal("SIGINT"));
    this.el.eof.addEventListener("click", () => this.endInput());
    this.el.clear.addEventListener("click", () => {
      this.console.clear();
      this.el.stdin.focus();
    });
    this.el.reconnect.addEventListener("click", () => socket.connectNow());
    this.el.stdinForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendLine();
    });
    this.el.stdin.addEventListener("keydown", (event) => this.#onInputKey(event));
    this.#updateControls();
  }

  get busy() {
    return this.state !== "idle";
  }

  /** Whether the program takes input now (running, its stdin not closed). */
  get acceptsInput() {
    return this.busy && !this.inputClosed;
  }

  /** Input typed in the console's terminal, which has shown it already. */
  sendTyped(data) {
    if (this.acceptsInput) this.socket.send({ type: "stdin", data });
  }

  async run() {
    if (this.busy || Date.now() < this.blockedUntil) return;
    if (this.hold()) return;
    let program;
    try {
      program = this.program();
    } catch (error) {
      this.#status(`Not run: ${error.message}`, "bad");
      this.console.notice(error.message, "bad");
      return;
    }
    if (!program.language) {
      this.#status("Choose a language first.", "bad");
      return;
    }
    this.state = "starting";
    this.languageName = program.languageName;
    this.sessionId = null;
    this.inputClosed = false;
    this.console.clear();
    this.console.notice(`Starting ${program.languageName}…`);
    this.#status("Starting…", "neutral");
    this.#updateControls();
    this.runSent = false;
    try {
      await this.socket.whenOpen();
    } catch {
      this.#finish();
      // The connection was refused for its sign-in: the run waits for the person to choose.
      if (this.hold()) return;
      this.console.notice("Not connected to the server, so the program did not run. It reconnects by itself: try again in a moment.", "bad");
      this.#status("Not connected", "bad");
      return;
    }
    const message = { type: "run", language: program.language, code: program.code };
    if (program.args?.length) message.args = program.args;
    this.runSent = this.socket.send(message);
    if (!this.runSent) {
      this.#finish();
      this.console.notice("The connection dropped before the program could start. Try again.", "bad");
      this.#status("Not connected", "bad");
      return;
    }
    if (program.args?.length) this.console.notice(`Arguments: ${program.args.map(quoteArg).join(" ")}`);
    if (program.stdin) {
      // Messages are handled in order: this input reaches the program as it starts.
      this.socket.send({ type: "stdin", data: program.stdin });
      this.socket.send({ type: "eof" });
      this.inputClosed = true;
      const count = program.stdin.split("\n").filter((line, i, all) => line || i < all.length - 1).length;
      this.console.notice(`Input from the box sent (${count} ${count === 1 ? "line" : "lines"}), then the end of input (EOF).`);
      this.#updateControls();
    }
    this.dispatchEvent(new Event("start"));
  }

  signal(name) {
    if (!this.busy) return;
    this.socket.send({ type: "signal", signal: name });
    this.console.notice(name === "SIGKILL" ? "Stopping the program (SIGKILL)…" : "Interrupt sent (SIGINT).", "warn");
  }

  sendLine() {
    if (!this.busy || this.inputClosed) return;
    const line = this.el.stdin.value;
    this.#sendInput(line + "\n");
    if (line) this.typed.push(line);
    this.typedIndex = this.typed.length;
    this.el.stdin.value = "";
  }

  endInput() {
    if (!this.busy || this.inputClosed) return;
    const pending = this.el.stdin.value;
    if (pending) this.#sendInput(pending);
    this.el.stdin.value = "";
    this.socket.send({ type: "eof" });
    this.inputClosed = true;
    this.console.notice("End of input sent (EOF): the program's input is closed.");
    this.#updateControls();
  }

  #sendInput(data) {
    if (this.socket.send({ type: "stdin", data })) this.console.write("stdin", data);
  }

  #onInputKey(event) {
    if (event.ctrlKey && !event.altKey && !event.metaKey && event.key.toLowerCase() === "d") {
      event.preventDefault();
      this.endInput();
    } else if (event.key === "ArrowUp" && this.typed.length) {
      event.preventDefault();
      this.typedIndex = Math.max(0, this.typedIndex - 1);
      this.el.stdin.value = this.typed[this.typedIndex];
    } else if (event.key === "ArrowDown" && this.typed.length) {
      event.preventDefault();
      this.typedIndex = Math.min(this.typed.length, this.typedIndex + 1);
      this.el.stdin.value = this.typed[this.typedIndex] ?? "";
    }
  }

  #onMessage(message) {
    switch (message.type) {
      case "queued": {
        const ahead = message.position - 1;
        const place = ahead > 0 ? `${ahead} ${ahead === 1 ? "run" : "runs"} ahead` : "next in line";
        this.#status(`Waiting for a free sandbox · ${place}`, "neutral");
        break;
      }
      case "started":
        this.state = "running";
        this.sessionId = message.sessionId;
        this.#status(`Running · ${this.languageName} ${message.version}`, "neutral");
        this.#updateControls();
        break;
      case "stage":
        if (message.stage === "compile") {
          this.console.notice("Compiling…");
          this.#status("Compiling…", "neutral");
        } else {
          this.console.notice("Running…");
          this.#status("Running…", "neutral");
        }
        break;
      case "stdout":
      case "stderr":
        this.console.write(message.type, message.data);
        break;
      case "exit":
        this.#onExit(message);
        break;
      case "error":
        this.#onError(message);
        break;
      default:
        break;
    }
  }

  #onExit(exit) {
    const summary = describeExit(exit);
    const tone = statusTone(exit.status);
    if (exit.status === "compile_error") {
      this.console.notice(`Compilation failed (${summary}). The compiler's messages are above.`, "bad");
    } else if (exit.status === "timeout") {
      // The server says which limit (CPU time, idle, wall clock) and what to do about it.
      const why = exit.message || "The program ran out of time and was stopped.";
      this.console.notice(`${why} (${summary})`, "bad");
    } else if (exit.status === "memory_limit") {
      this.console.notice(`The program used too much memory and was stopped (${summary}).`, "bad");
    } else if (exit.status === "output_limit") {
      this.console.notice(`The program printed more than the output limit allows, so it was stopped and the rest of its output is lost (${summary}).`, "bad");
    } else {
      this.console.notice(`Process finished: ${summary}`, tone);
    }
    this.#status(summary, tone);
    this.#finish();
    this.dispatchEvent(new CustomEvent("exit", { detail: exit }));
  }

  #onError(error) {
    const message = friendlyError(error);
    const wasStarting = this.state === "starting";
    this.console.notice(message, "bad");
    if (error.code === "rate_limited" && Number.isFinite(error.retryAfter)) {
      this.#blockFor(error.retryAfter);
    }
    if (wasStarting) {
      this.#finish();
      if (Date.now() >= this.blockedUntil) this.#status(`Not run: ${shortError(error)}`, "bad");
    }
  }

  #onClose(event) {
    // Before the run message went out, run() reports the failure itself.
    if (this.busy && this.runSent) {
      this.console.notice("The connection to the server was lost, so the program was stopped.", "bad");
      this.#status("Disconnected", "bad");
      this.#finish();
    }
    if (event.code === 4003) {
      this.console.notice(`The server does not take runs from this page (${event.reason || "its address is not allowed"}). Open the IDE from the server's own address.`, "bad");
    } else if (event.code === 1009) {
      this.console.notice("That message was too large for the server: send long input in smaller pieces.", "bad");
    } else if (event.code === 1008) {
      this.console.notice("The program printed faster than this page could read it.", "warn");
    }
    this.dispatchEvent(new CustomEvent("disconnect", { detail: event }));
  }

  #finish() {
    this.state = "idle";
    this.inputClosed = false;
    this.#updateControls();
  }

  #blockFor(seconds) {
    this.blockedUntil = Date.now() + seconds * 1000;
    this.blockMessage = `Rate limited: you can run again in ${seconds} s`;
    clearInterval(this.blockTimer);
    const tick = () => {
      const left = Math.ceil((this.blockedUntil - Date.now()) / 1000);
      if (left <= 0) {
        clearInterval(this.blockTimer);
        this.blockTimer = null;
        this.#status("Ready: you can run again.", "neutral");
      } else {
        setLiveText(this.el.status, this.blockMessage, `Rate limited: you can run again in ${left} s`);
        this.el.status.dataset.tone = "bad";
      }
      this.#updateControls();
    };
    tick();
    this.blockTimer = setInterval(tick, 1000);
  }

  #status(text, tone) {
    delete this.el.status.dataset.spoken;
    this.el.status.textContent = text;
    this.el.status.dataset.tone = tone;
  }

  #updateControls() {
    const focused = document.activeElement;
    const busy = this.busy;
    const blocked = Date.now() < this.blockedUntil;
    this.el.run.disabled = busy || blocked;
    this.el.stop.disabled = !busy;
    this.el.interrupt.disabled = !busy;
    const inputOpen = busy && !this.inputClosed;
    this.el.stdin.disabled = !inputOpen;
    this.el.stdinSend.disabled = !inputOpen;
    this.el.eof.disabled = !inputOpen;
    this.el.stdin.placeholder = inputOpen
      ? "Type a line for the program and press Enter"
      : busy
        ? "Input closed (EOF sent)"
        : "Run a program to type its input here";
    document.body.dataset.run = this.state;
    // A control that is switched off while it has the focus would drop it to the page.
    if (focused instanceof HTMLElement && focused.matches(":disabled")) {
      let next = this.el.fallbackFocus;
      if (busy) next = inputOpen ? this.el.stdin : this.el.stop;
      else if (!this.el.run.disabled) next = this.el.run;
      next?.focus();
    }
  }

  #showConnection({ state, seconds }) {
    this.el.connection.parentElement.dataset.state = state;
    const spoken = {
      connecting: "Connecting…",
      open: "Connected",
      waiting: "Disconnected: reconnecting…",
      closed: "Not connected",
    }[state];
    const shown = state === "waiting" ? `Disconnected: reconnecting in ${seconds} s` : spoken;
    setLiveText(this.el.connection, spoken, shown);
    this.el.reconnect.hidden = state !== "waiting";
  }
}

function quoteArg(arg) {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replaceAll(/["\\$`]/g, "\\$&")}"`;
}

function friendlyError({ code, message, retryAfter }) {
  switch (code) {
    case "rate_limited":
      return `Rate limited: ${message}`;
    case "already_running":
      return "A program is already running: stop it or wait for it to finish.";
    case "busy":
      return `The server is busy: every sandbox is in use right now. Try again in ${retryAfter ?? "a few"} s.`;
    case "unknown_language":
      return `Unknown language: ${message}`;
    case "payload_too_large":
      return `The program is too large: ${message}`;
    case "unavailable":
      return `The server cannot run programs right now: ${message}`;
    case "unauthorized":
      return `Sign in to run code: ${message}`;
    default:
      return message || "The server refused that.";
  }
}

function shortError({ code }) {
  return (
    {
      rate_limited: "rate limited",
      busy: "server busy",
      already_running: "already running",
      unknown_language: "unknown language",
      payload_too_large: "program too large",
      unavailable: "server unavailable",
    }[code] ?? code.replaceAll("_", " ")
  );
}
