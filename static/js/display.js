// How the IDE looks to this reader: light or dark (the system's choice until one is picked
// here) and the size of the code text, both remembered in localStorage.

import { setLiveText } from "./dom.js";
import { readStorage, writeStorage } from "./storage.js";

const THEME_KEY = "codex-ws.theme";
const SIZE_KEY = "codex-ws.fontSize";
const SIZES = [11, 12, 13, 14, 15, 16, 18, 20, 22, 24];
const DEFAULT_SIZE = 14;

/**
 * @param {{theme: HTMLButtonElement, smaller: HTMLButtonElement, larger: HTMLButtonElement, size: HTMLElement}} controls
 */
export function setUpDisplay({ theme, smaller, larger, size }) {
  const root = document.documentElement;
  const system = window.matchMedia("(prefers-color-scheme: light)");

  const applyTheme = (name) => {
    root.dataset.theme = name;
    theme.setAttribute("aria-pressed", String(name === "dark"));
  };
  const chosenTheme = () => {
    const stored = readStorage(THEME_KEY);
    if (stored === "light" || stored === "dark") return stored;
    return system.matches ? "light" : "dark";
  };
  applyTheme(chosenTheme());
  system.addEventListener("change", () => applyTheme(chosenTheme()));
  theme.addEventListener("click", () => {
    const next = root.dataset.theme === "dark" ? "light" : "dark";
    writeStorage(THEME_KEY, next);
    applyTheme(next);
  });

  let current = Number(readStorage(SIZE_KEY)) || DEFAULT_SIZE;
  if (!SIZES.includes(current)) current = DEFAULT_SIZE;
  const applySize = (px, announce) => {
    current = px;
    root.style.setProperty("--code-size", `${px}px`);
    // aria-disabled, not disabled: a button switched off under the focus would drop it.
    smaller.setAttribute("aria-disabled", String(px === SIZES[0]));
    larger.setAttribute("aria-disabled", String(px === SIZES[SIZES.length - 1]));
    if (announce) setLiveText(size, `Code text ${px} px`, `${px} px`);
    else size.textContent = `${px} px`;
  };
  applySize(current, false);
  const step = (direction) => {
    const index = SIZES.indexOf(current) + direction;
    if (index < 0 || index >= SIZES.length) return;
    writeStorage(SIZE_KEY, String(SIZES[index]));
    applySize(SIZES[index], true);
  };
  smaller.addEventListener("click", () => step(-1));
  larger.addEventListener("click", () => step(1));
}
