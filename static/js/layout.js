// The IDE's panes: a splitter between the editor and the console, another for the side
// panel's width (both by pointer or keyboard, remembered), and on narrow screens the side
// panel as a drawer.

import { readStorage, writeStorage } from "./storage.js";

export const NARROW = window.matchMedia("(max-width: 900px)");

/**
 * A separator that moves with the pointer or the arrow keys and remembers where it was left.
 * @param {HTMLElement} handle role="separator" with aria-valuemin/max
 * @param {{key: string, initial: number, step: number, apply: (value: number) => void,
 *   fromPointer: (event: PointerEvent) => number, unit: string}} options
 */
function splitter(handle, { key, initial, step, apply, fromPointer, unit }) {
  const min = Number(handle.getAttribute("aria-valuemin"));
  const max = Number(handle.getAttribute("aria-valuemax"));
  const set = (value, remember) => {
    const clamped = Math.round(Math.min(max, Math.max(min, value)));
    handle.setAttribute("aria-valuenow", String(clamped));
    handle.setAttribute("aria-valuetext", `${clamped}${unit}`);
    apply(clamped);
    if (remember) writeStorage(key, String(clamped));
    return clamped;
  };
  let value = set(Number(readStorage(key)) || initial, false);
  const horizontal = handle.getAttribute("aria-orientation") === "horizontal";
  handle.addEventListener("keydown", (event) => {
    const less = horizontal ? "ArrowUp" : "ArrowLeft";
    const more = horizontal ? "ArrowDown" : "ArrowRight";
    let next = null;
    if (event.key === less) next = value - step;
    else if (event.key === more) next = value + step;
    else if (event.key === "PageUp") next = value - step * 3;
    else if (event.key === "PageDown") next = value + step * 3;
    else if (event.key === "Home") next = min;
    else if (event.key === "End") next = max;
    else if (event.key === "Enter") next = initial;
    if (next === null) return;
    event.preventDefault();
    value = set(next, true);
  });
  handle.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    handle.setPointerCapture(event.pointerId);
    handle.classList.add("dragging");
    const move = (moved) => {
      value = set(fromPointer(moved), true);
    };
    const up = () => {
      handle.classList.remove("dragging");
      handle.removeEventListener("pointermove", move);
      handle.removeEventListener("pointerup", up);
      handle.removeEventListener("pointercancel", up);
    };
    handle.addEventListener("pointermove", move);
    handle.addEventListener("pointerup", up);
    handle.addEventListener("pointercancel", up);
  });
}

/**
 * @param {{work: HTMLElement, editorSplitter: HTMLElement, sidebarSplitter: HTMLElement}} parts
 */
export function setUpSplitters({ work, editorSplitter, sidebarSplitter }) {
  const root = document.documentElement;
  splitter(editorSplitter, {
    key: "codex-ws.layout.editor",
    initial: 50,
    step: 5,
    unit: "% of the height for the editor",
    apply: (share) => root.style.setProperty("--editor-share", String(share)),
    fromPointer: (event) => {
      const box = work.getBoundingClientRect();
      const top = work.querySelector(".toolbar").getBoundingClientRect().bottom;
      const height = NARROW.matches ? window.innerHeight * 0.9 : box.bottom - top;
      return ((event.clientY - top) / height) * 100;
    },
  });
  splitter(sidebarSplitter, {
    key: "codex-ws.layout.sidebar",
    initial: 340,
    step: 20,
    unit: " pixels wide",
    apply: (width) => root.style.setProperty("--sidebar-width", `${width}px`),
    fromPointer: (event) => event.clientX,
  });
}

/** The side panel as a drawer on narrow screens. Open, it is modal in effect: the rest of the
 * page is inert, so focus and screen readers stay in it (it keeps its complementary role). */
export class Drawer extends EventTarget {
  /**
   * @param {{panel: HTMLElement, openButton: HTMLButtonElement, closeButton: HTMLButtonElement,
   *   backdrop: HTMLElement, outside: HTMLElement[]}} parts
   */
  constructor({ panel, openButton, closeButton, backdrop, outside }) {
    super();
    this.panel = panel;
    this.openButton = openButton;
    this.outside = outside;
    this.backdrop = backdrop;
    this.isOpen = false;
    openButton.addEventListener("click", () => this.open());
    closeButton.addEventListener("click", () => this.close());
    backdrop.addEventListener("click", () => this.close());
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.isOpen) {
        event.preventDefault();
        this.close();
      }
    });
    NARROW.addEventListener("change", () => this.#sync());
    this.#sync();
  }

  open() {
    if (!NARROW.matches) return;
    this.isOpen = true;
    this.#sync();
    (this.panel.querySelector('[role="tab"][aria-selected="true"]') ?? this.panel).focus();
  }

  /** Close; the focus, if it was in the drawer, goes back to the button that opens it. */
  close() {
    if (!this.isOpen) return;
    const hadFocus = this.panel.contains(document.activeElement);
    this.isOpen = false;
    this.#sync();
    if (hadFocus) this.openButton.focus();
  }

  #sync() {
    const narrow = NARROW.matches;
    if (!narrow) this.isOpen = false;
    const open = narrow && this.isOpen;
    document.body.classList.toggle("drawer-shown", open);
    this.panel.classList.toggle("drawer", narrow);
    // Closed, the drawer is out of the way of the keyboard and of screen readers too.
    this.panel.inert = narrow && !open;
    this.openButton.setAttribute("aria-expanded", String(open));
    this.backdrop.hidden = !open;
    for (const element of this.outside) element.inert = open;
  }
}
