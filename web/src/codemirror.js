// The editor bundle (static/vendor/codemirror.js): the parts of CodeMirror 6 the pages use, and
// which syntax each language id of the server gets. Built by scripts/frontend.sh.

import { LanguageSupport, StreamLanguage } from "@codemirror/language";
import { cpp } from "@codemirror/lang-cpp";
import { go } from "@codemirror/lang-go";
import { java } from "@codemirror/lang-java";
import { javascript } from "@codemirror/lang-javascript";
import { php } from "@codemirror/lang-php";
import { python } from "@codemirror/lang-python";
import { rust } from "@codemirror/lang-rust";
import { sql } from "@codemirror/lang-sql";
import { c, csharp, dart, kotlin, objectiveC, scala } from "@codemirror/legacy-modes/mode/clike";
import { clojure } from "@codemirror/legacy-modes/mode/clojure";
import { commonLisp } from "@codemirror/legacy-modes/mode/commonlisp";
import { crystal } from "@codemirror/legacy-modes/mode/crystal";
import { d } from "@codemirror/legacy-modes/mode/d";
import { elm } from "@codemirror/legacy-modes/mode/elm";
import { erlang } from "@codemirror/legacy-modes/mode/erlang";
import { fortran } from "@codemirror/legacy-modes/mode/fortran";
import { groovy } from "@codemirror/legacy-modes/mode/groovy";
import { haskell } from "@codemirror/legacy-modes/mode/haskell";
import { julia } from "@codemirror/legacy-modes/mode/julia";
import { lua } from "@codemirror/legacy-modes/mode/lua";
import { fSharp, oCaml, sml } from "@codemirror/legacy-modes/mode/mllike";
import { octave } from "@codemirror/legacy-modes/mode/octave";
import { pascal } from "@codemirror/legacy-modes/mode/pascal";
import { perl } from "@codemirror/legacy-modes/mode/perl";
import { powerShell } from "@codemirror/legacy-modes/mode/powershell";
import { r } from "@codemirror/legacy-modes/mode/r";
import { ruby } from "@codemirror/legacy-modes/mode/ruby";
import { scheme } from "@codemirror/legacy-modes/mode/scheme";
import { shell } from "@codemirror/legacy-modes/mode/shell";
import { swift } from "@codemirror/legacy-modes/mode/swift";
import { tcl } from "@codemirror/legacy-modes/mode/tcl";
import { vb } from "@codemirror/legacy-modes/mode/vb";

export { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
export { defaultKeymap, history, historyKeymap, indentLess, indentMore } from "@codemirror/commands";
export {
  bracketMatching,
  defaultHighlightStyle,
  foldGutter,
  foldKeymap,
  HighlightStyle,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
} from "@codemirror/language";
export { highlightSelectionMatches, openSearchPanel, search, searchKeymap } from "@codemirror/search";
export { Compartment, EditorState } from "@codemirror/state";
export {
  crosshairCursor,
  drawSelection,
  dropCursor,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  placeholder,
  rectangularSelection,
} from "@codemirror/view";
export { tags } from "@lezer/highlight";

const legacy = (mode) => () => new LanguageSupport(StreamLanguage.define(mode));

// Language ids (and aliases) of `GET /api/languages` → their syntax. Official CodeMirror
// packages where they exist, the legacy (CodeMirror 5) modes for the rest.
const SUPPORT = {
  python: python,
  javascript: javascript,
  typescript: () => javascript({ typescript: true }),
  java: java,
  c: legacy(c),
  cpp: cpp,
  csharp: legacy(csharp),
  go: go,
  rust: rust,
  php: () => php({ plain: true }),
  sql: sql,
  ruby: legacy(ruby),
  bash: legacy(shell),
  lua: legacy(lua),
  haskell: legacy(haskell),
  kotlin: legacy(kotlin),
  scala: legacy(scala),
  dart: legacy(dart),
  objectivec: legacy(objectiveC),
  swift: legacy(swift),
  perl: legacy(perl),
  r: legacy(r),
  julia: legacy(julia),
  pascal: legacy(pascal),
  fortran: legacy(fortran),
  erlang: legacy(erlang),
  elm: legacy(elm),
  clojure: legacy(clojure),
  commonlisp: legacy(commonLisp),
  scheme: legacy(scheme),
  ocaml: legacy(oCaml),
  fsharp: legacy(fSharp),
  sml: legacy(sml),
  crystal: legacy(crystal),
  d: legacy(d),
  groovy: legacy(groovy),
  octave: legacy(octave),
  powershell: legacy(powerShell),
  tcl: legacy(tcl),
  vb: legacy(vb),
};

const ALIASES = {
  py: "python", python3: "python", js: "javascript", node: "javascript", nodejs: "javascript",
  ts: "typescript", "c++": "cpp", cplusplus: "cpp", cc: "cpp", "c#": "csharp", cs: "csharp",
  dotnet: "csharp", golang: "go", rs: "rust", rb: "ruby", sh: "bash", shell: "bash",
  hs: "haskell", kt: "kotlin", objc: "objectivec", "objective-c": "objectivec", pl: "perl",
  jl: "julia", lisp: "commonlisp", ml: "ocaml", "f#": "fsharp", matlab: "octave", ps1: "powershell",
  pwsh: "powershell", vbnet: "vb", "visualbasic": "vb",
};

/**
 * The syntax support of a language, by its id or one of its aliases; null for plain text.
 * @param {string[]} names the id first, then aliases
 */
export function languageSupport(...names) {
  for (const raw of names) {
    const name = String(raw ?? "").toLowerCase();
    const make = SUPPORT[name] ?? SUPPORT[ALIASES[name]];
    if (make) return make();
  }
  return null;
}

/** The language ids that get highlighting (for the docs and tests). */
export const highlightedLanguages = Object.keys(SUPPORT);
