// "Your teacher is watching": while `watched` says someone follows this student, say so, and
// share what the editor holds (`code` on the run socket), a moment after typing stops.

import { setLiveText } from "./dom.js";

const DEBOUNCE_MS = 300;

/**
 * @param {{socket: import("./socket.js").ReconnectingSocket, editor: {value: string,
 *   addEventListener: Function}, language: () => string|null, indicator: HTMLElement,
 *   onLanguage: (listener: () => void) => void}} parts
 */
export function setUpWatched({ socket, editor, language, indicator, onLanguage }) {
  let watchers = 0;
  let timer = null;
  let lastSent = null;

  const send = () => {
    clearTimeout(timer);
    timer = null;
    const id = language();
    if (watchers <= 0 || !id) return;
    const code = editor.value;
    const key = `${id}\u0000${code}`;
    if (key === lastSent) return;
    if (socket.send({ type: "code", language: id, code })) lastSent = key;
  };
  const soon = () => {
    if (watchers <= 0) return;
    clearTimeout(timer);
    timer = setTimeout(send, DEBOUNCE_MS);
  };
  const show = (count) => {
    const before = watchers;
    watchers = count;
    indicator.classList.toggle("on", count > 0);
    if (count > 0) {
      const text = count === 1 ? "Your teacher is watching" : `Your teachers are watching (${count})`;
      setLiveText(indicator, `${text} your code and runs.`, text);
    } else {
      indicator.textContent = before > 0 ? "" : indicator.textContent;
      clearTimeout(timer);
      timer = null;
    }
    if (count > 0 && before <= 0) {
      lastSent = null;
      send();
    }
  };

  socket.addEventListener("message", (event) => {
    const message = event.detail;
    if (message.type === "watched" && Number.isInteger(message.watchers)) show(message.watchers);
  });
  socket.addEventListener("close", () => show(0));
  editor.addEventListener("input", soon);
  onLanguage(soon);
}
