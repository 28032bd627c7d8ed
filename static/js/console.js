// A console pane on a terminal (xterm.js): program output as it arrives, with the ANSI colours
// the program sends (stderr in a colour of its own), the input that was typed, and notices
// about the run. Output is written once per animation frame, so a flood of it never holds up
// the page; the terminal keeps a bounded scrollback and the whole output stays downloadable.
// Its text is in the page (xterm's DOM renderer, and its screen-reader mode's own rows).
//
// With `input` callbacks the terminal can be typed into, like a cooked tty: keys echo and
// build a line, Backspace edits it, Enter sends it; Ctrl+C interrupts and Ctrl+D ends the
// input. Tab and Shift+Tab always move the focus on.

import { h } from "./dom.js";
import { FitAddon, Terminal } from "/static/vendor/xterm.js";

const SCROLLBACK = 5000;
// The whole output kept for "Download full output": the server stops a program past 1 MiB
// of output, so this holds any run, with room for typed input and notices.
const KEEP_CHARS = 2 * 1024 * 1024;

const WRITE_SLICE = 16 * 1024;
const ESC = "\x1b[";
const RESET = `${ESC}0m`;
const BOLD = `${ESC}1m`;
const ANSI_SEQUENCE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;

/**
 * @typedef {{
 *   accepts: () => boolean,
 *   send: (data: string) => void,
 *   interrupt: () => void,
 *   eof: () => void,
 * }} TerminalInput what typing in the terminal does, while `accepts()` is true
 */

export class ConsoleView {
  /**
   * @param {HTMLElement} element the console element (role="log", named by its heading)
   * @param {{scrollback?: number, input?: TerminalInput, download?: boolean, stdinMarker?: string}} options
   *   `scrollback`: lines kept in the terminal (a grid of small consoles wants few); `input`:
   *   makes the terminal typeable; `download`: whether to offer the full output (kept apart
   *   from the scrollback); `stdinMarker` is accepted for older callers (the terminal tells
   *   typed input apart by its colour)
   */
  constructor(element, { scrollback = SCROLLBACK, input = null, download = true } = {}) {
    this.element = element;
    this.input = input;
    this.offersDownload = download;
    this.pending = "";
    this.frame = 0;
    this.atLineStart = true;
    this.line = ""; // typed, not yet sent
    this.kept = [];
    this.keptChars = 0;
    this.keptAll = true;
    this.downloadUrl = null;

    const colours = palette(element);
    this.term = new Terminal({
      scrollback,
      convertEol: true,
      screenReaderMode: true,
      disableStdin: !input,
      cursorBlink: false,
      cursorStyle: "bar",
      cursorInactiveStyle: "none",
      fontFamily: colours.font,
      fontSize: colours.size,
      lineHeight: 1.3,
      minimumContrastRatio: 4.5,
      theme: colours.theme,
    });
    this.fit = new FitAddon();
    this.term.loadAddon(this.fit);

    this.screen = h("div", { class: "terminal-screen" });
    this.download = h(
      "a",
      { class: "terminal-download", href: "#", download: "output.txt", hidden: true },
      "Download full output",
    );
    this.download.addEventListener("click", () => this.#prepareDownload());
    element.classList.add("terminal");
    element.dataset.empty = "true";
    // xterm's screen-reader mode announces new output itself; the element stays a named log
    // without announcing the terminal's re-drawn rows a second time.
    element.setAttribute("aria-live", "off");
    // A typeable terminal takes the focus with its own input; the element need not be a stop
    // too. A read-only one stays the element's (focusable, as the page made it).
    if (input) element.removeAttribute("tabindex");
    element.replaceChildren(this.screen, this.download);
    this.opened = false;
    this.term.attachCustomKeyEventHandler((event) => this.#onKey(event));
    this.term.onData((data) => this.#onData(data));
    this.resizer = new ResizeObserver(() => this.#fit());
    this.resizer.observe(this.screen);
    // The page's theme and text size live on the root element (data-theme, --code-size).
    this.restyler = new MutationObserver(() => this.#restyle());
    this.restyler.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme", "style", "class"] });
    this.#fit();
  }

  clear() {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.pending = "";
    this.atLineStart = true;
    this.line = "";
    this.kept = [];
    this.keptChars = 0;
    this.keptAll = true;
    this.term.reset();
    if (this.opened) {
      // A fresh screen-reader layer: xterm's live region keeps what it announced (and stops
      // announcing after 20 lines) until a key is pressed; a new run starts it afresh.
      this.term.options.screenReaderMode = false;
      this.term.options.screenReaderMode = true;
    }
    this.download.hidden = true;
    this.element.dataset.empty = "true";
  }

  /** Append text of one stream: `stdout`, `stderr` or `stdin` (what was typed). */
  write(stream, text) {
    if (!text) return;
    this.#keep(text);
    if (stream === "stderr") this.#emit(`${own("stderr")}${text}${RESET}`, text);
    else if (stream === "stdin") this.#emit(`${BOLD}${own("stdin")}${text}${RESET}`, text);
    else this.#emit(text, text);
  }

  /**
   * A line about the run itself (not the program's output).
   * @param {string} text
   * @param {"info"|"good"|"bad"|"warn"} tone
   */
  notice(text, tone = "info") {
    const line = `— ${text}`;
    this.#keep(`${this.atLineStart ? "" : "\n"}${line}\n`);
    const colour = own(tone in OWN ? tone : "info");
    this.#emit(`${this.atLineStart ? "" : "\n"}${colour}${line}${RESET}\n`, "\n");
  }

  /** Move the focus to the terminal (to type into the program). */
  focus() {
    if (this.opened) this.term.focus();
  }

  /** Stop the terminal for good (its element is leaving the page). */
  dispose() {
    cancelAnimationFrame(this.frame);
    this.resizer.disconnect();
    this.restyler.disconnect();
    if (this.downloadUrl) URL.revokeObjectURL(this.downloadUrl);
    this.term.dispose();
  }

  /** The whole output so far as plain text (ANSI sequences removed), as the download has it. */
  get text() {
    const all = this.kept.join("").replace(ANSI_SEQUENCE, "");
    return this.keptAll ? all : `${all}\n— (output past ${KEEP_CHARS} characters was not kept)\n`;
  }

  #emit(data, plain) {
    this.pending += data;
    this.atLineStart = plain.endsWith("\n");
    this.element.dataset.empty = "false";
    if (!this.frame) this.frame = requestAnimationFrame(() => this.#flush());
  }

  #flush() {
    this.frame = 0;
    const data = this.pending;
    this.pending = "";
    // In slices: xterm parses one write at a time and yields to the page between them. (Its
    // parser takes an escape sequence or a surrogate pair split across writes.)
    for (let at = 0; at < data.length; at += WRITE_SLICE) this.term.write(data.slice(at, at + WRITE_SLICE));
  }

  #keep(text) {
    this.download.hidden = !this.offersDownload;
    if (!this.keptAll) return;
    if (this.keptChars + text.length > KEEP_CHARS) {
      this.keptAll = false;
      text = text.slice(0, KEEP_CHARS - this.keptChars);
    }
    this.kept.push(text);
    this.keptChars += text.length;
  }

  #prepareDownload() {
    if (this.downloadUrl) URL.revokeObjectURL(this.downloadUrl);
    this.downloadUrl = URL.createObjectURL(new Blob([this.text], { type: "text/plain;charset=utf-8" }));
    this.download.href = this.downloadUrl;
  }

  #restyle() {
    const { theme, size, font } = palette(this.element);
    this.term.options.theme = theme;
    if (this.term.options.fontSize !== size) this.term.options.fontSize = size;
    if (this.term.options.fontFamily !== font) this.term.options.fontFamily = font;
    this.#fit();
  }

  /** Open the terminal once it is laid out (it measures its font then), and fit it. */
  #fit() {
    if (!this.screen.clientWidth || !this.screen.clientHeight) return;
    if (!this.opened) {
      this.opened = true;
      this.term.open(this.screen);
      const keys = this.term.textarea;
      if (this.input) keys?.setAttribute("aria-label", "Terminal: type to the running program");
      else keys?.setAttribute("tabindex", "-1");
    }
    try {
      this.fit.fit();
    } catch {
      // Not laid out yet (a hidden pane): the next resize fits it.
    }
  }

  /** Keys the terminal must leave to the browser; false means "not for the terminal". */
  #onKey(event) {
    if (event.key === "Tab") return false;
    if (event.type === "keydown" && (event.ctrlKey || event.metaKey) && event.key === "Enter") return false;
    // Ctrl+C with a selection copies it, as in a terminal emulator.
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "c" && this.term.hasSelection()) return false;
    return true;
  }

  #onData(data) {
    if (!this.input?.accepts()) {
      this.line = "";
      return;
    }
    if (data.startsWith("\x1b")) return; // arrows, function keys: nothing to edit with
    for (const char of data) {
      if (char === "\r" || char === "\n") {
        const line = this.line;
        this.line = "";
        this.#echo("\n");
        this.input.send(`${line}\n`);
      } else if (char === "\x7f" || char === "\b") {
        if (!this.line) continue;
        const chars = Array.from(this.line);
        chars.pop();
        this.line = chars.join("");
        this.#emit("\b \b", "");
      } else if (char === "\x03") {
        this.line = "";
        this.#echo("^C\n");
        this.input.interrupt();
        return;
      } else if (char === "\x04") {
        if (this.line) this.input.send(this.line);
        this.line = "";
        this.#echo("^D\n");
        this.input.eof();
        return;
      } else if (char >= " ") {
        this.line += char;
        this.#echo(char);
      }
    }
  }

  /** Typed input, shown as the terminal's own echo would, and kept in the full output. */
  #echo(text) {
    this.#keep(text);
    this.#emit(`${BOLD}${own("stdin")}${text}${RESET}`, text);
  }
}

// The console's own colours take the last six of the 256 colours (greys of the standard
// palette), so a change of theme recolours the text already shown too.
const OWN = { stderr: 250, stdin: 251, info: 252, good: 253, bad: 254, warn: 255 };
const own = (name) => `${ESC}38;5;${OWN[name]}m`;

// Colours 16 to 255 of the standard palette: a 6×6×6 cube, then 24 greys.
const XTERM_256 = (() => {
  const hex = (v) => v.toString(16).padStart(2, "0");
  const levels = [0, 95, 135, 175, 215, 255];
  const colours = [];
  for (let i = 0; i < 216; i++) {
    colours.push(`#${hex(levels[Math.floor(i / 36)])}${hex(levels[Math.floor(i / 6) % 6])}${hex(levels[i % 6])}`);
  }
  for (let i = 0; i < 24; i++) colours.push(`#${hex(8 + 10 * i).repeat(3)}`);
  return colours;
})();

/** The terminal's font and colours, from the page's CSS custom properties where it has them. */
function palette(element) {
  const style = getComputedStyle(element);
  const css = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  const background = css("--console-bg", "#0a0d12");
  const foreground = css("--stdout", "#e6edf3");
  const light = luminance(background) > 0.5;
  const extendedAnsi = XTERM_256.slice();
  extendedAnsi[OWN.stderr - 16] = css("--stderr", "#ffa39c");
  extendedAnsi[OWN.stdin - 16] = css("--stdin", "#7ee787");
  extendedAnsi[OWN.info - 16] = css("--notice", "#9fb3c8");
  extendedAnsi[OWN.good - 16] = css("--good", "#56d364");
  extendedAnsi[OWN.bad - 16] = css("--stderr", "#ffa39c");
  extendedAnsi[OWN.warn - 16] = css("--warn", "#e3b341");
  return {
    font: css("--mono", "monospace"),
    size: parseFloat(css("--code-size", "14px")) || 14,
    // ANSI colours readable on the console's background (WCAG AA; xterm's minimum contrast
    // ratio corrects the rest).
    theme: {
      background,
      foreground,
      cursor: foreground,
      selectionBackground: light ? "#b6d6fb" : "#264f78",
      ...(light ? LIGHT_ANSI : DARK_ANSI),
      extendedAnsi,
    },
  };
}

const DARK_ANSI = {
  black: "#8b949e",
  red: "#ff7b72",
  green: "#7ee787",
  yellow: "#e3b341",
  blue: "#79b8ff",
  magenta: "#d2a8ff",
  cyan: "#76e3ea",
  white: "#e6edf3",
  brightBlack: "#a3adb8",
  brightRed: "#ffa198",
  brightGreen: "#aff5b4",
  brightYellow: "#f2cc60",
  brightBlue: "#a5d6ff",
  brightMagenta: "#e2c5ff",
  brightCyan: "#b3f0ff",
  brightWhite: "#ffffff",
};

const LIGHT_ANSI = {
  black: "#1f2328",
  red: "#a40e26",
  green: "#116329",
  yellow: "#6f4400",
  blue: "#0550ae",
  magenta: "#8250df",
  cyan: "#1b7c83",
  white: "#59636e",
  brightBlack: "#4f5963",
  brightRed: "#c9184a",
  brightGreen: "#1a7f37",
  brightYellow: "#7d4e00",
  brightBlue: "#0969da",
  brightMagenta: "#a475f9",
  brightCyan: "#3192aa",
  brightWhite: "#6e7781",
};

function luminance(colour) {
  const match = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
  if (!match) return 0;
  const [r, g, b] = match.slice(1).map((part) => parseInt(part, 16) / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
