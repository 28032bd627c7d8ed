// The terminal bundle (static/vendor/xterm.js and xterm.css): xterm.js and its fit addon.
// Built by scripts/frontend.sh.

import "@xterm/xterm/css/xterm.css";

export { FitAddon } from "@xterm/addon-fit";
export { Terminal } from "@xterm/xterm";
