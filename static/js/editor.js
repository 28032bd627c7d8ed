// The code editor (CodeMirror 6): highlighting for the language chosen, line numbers, bracket
// matching and closing, search (Ctrl+F), undo, auto-indent. Tab / Shift+Tab indent and
// outdent by four spaces; Esc then Tab leaves the editor (Tab alone indents); Ctrl/Cmd+Enter
// asks to run.

import {
  bracketMatching,
  closeBrackets,
  closeBracketsKeymap,
  Compartment,
  defaultKeymap,
  drawSelection,
  EditorState,
  EditorView,
  foldGutter,
  foldKeymap,
  HighlightStyle,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSelectionMatches,
  highlightSpecialChars,
  history,
  historyKeymap,
  indentMore,
  indentLess,
  indentOnInput,
  indentUnit,
  keymap,
  languageSupport,
  lineNumbers,
  search,
  searchKeymap,
  syntaxHighlighting,
  tags,
} from "/static/vendor/codemirror.js";

const INDENT = "    ";

// Token colours, each readable on the editor's background (WCAG AA); a theme may override the
// custom properties (static/css/editor.css).
const highlightStyle = HighlightStyle.define([
  { tag: [tags.keyword, tags.controlKeyword, tags.operatorKeyword, tags.moduleKeyword, tags.definitionKeyword], color: "var(--syntax-keyword)" },
  { tag: [tags.string, tags.special(tags.string), tags.regexp, tags.character], color: "var(--syntax-string)" },
  { tag: [tags.comment, tags.lineComment, tags.blockComment, tags.docComment], color: "var(--syntax-comment)", fontStyle: "italic" },
  { tag: [tags.number, tags.bool, tags.null, tags.atom, tags.literal], color: "var(--syntax-number)" },
  { tag: [tags.function(tags.variableName), tags.function(tags.definition(tags.variableName)), tags.function(tags.propertyName)], color: "var(--syntax-function)" },
  { tag: [tags.definition(tags.variableName), tags.definition(tags.propertyName)], color: "var(--syntax-definition)" },
  { tag: [tags.typeName, tags.className, tags.namespace, tags.standard(tags.variableName)], color: "var(--syntax-type)" },
  { tag: [tags.meta, tags.annotation, tags.processingInstruction], color: "var(--syntax-meta)" },
  { tag: [tags.propertyName, tags.attributeName], color: "var(--syntax-property)" },
  { tag: [tags.self, tags.special(tags.variableName)], color: "var(--syntax-keyword)" },
  { tag: tags.invalid, color: "var(--syntax-invalid)" },
  { tag: tags.strong, fontWeight: "bold" },
  { tag: tags.emphasis, fontStyle: "italic" },
]);

const theme = EditorView.theme(
  {
    "&": { height: "100%", backgroundColor: "var(--bg)", color: "var(--text)" },
    ".cm-content": { caretColor: "var(--text)" },
    ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--text)" },
  },
  { dark: true },
);

/** Tab with nothing selected inserts four spaces; with a selection, indents its lines. */
function tabIndent(view) {
  if (view.state.readOnly) return false;
  if (view.state.selection.ranges.some((range) => !range.empty)) return indentMore(view);
  view.dispatch(view.state.replaceSelection(INDENT), { scrollIntoView: true, userEvent: "input" });
  return true;
}

export class CodeEditor {
  /**
   * @param {HTMLElement} root an empty element to fill
   * @param {{id?: string, label: string, readOnly?: boolean, onRun?: () => void, hintId?: string}} options
   */
  constructor(root, { id, label, readOnly = false, onRun = null, hintId = null }) {
    this.onRun = onRun;
    this.readOnly = readOnly;
    this.listeners = new EventTarget();
    this.language = new Compartment();
    this.languageId = null;
    root.classList.add("editor");
    root.classList.toggle("readonly", readOnly);
    root.replaceChildren();

    const contentAttributes = { "aria-label": label };
    if (id) contentAttributes.id = id;
    if (hintId) contentAttributes["aria-describedby"] = hintId;
    if (readOnly) contentAttributes["aria-readonly"] = "true";

    this.view = new EditorView({
      parent: root,
      state: EditorState.create({
        doc: "",
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          highlightSpecialChars(),
          history(),
          foldGutter(),
          drawSelection(),
          EditorState.allowMultipleSelections.of(true),
          indentOnInput(),
          indentUnit.of(INDENT),
          EditorState.tabSize.of(4),
          syntaxHighlighting(highlightStyle),
          bracketMatching(),
          closeBrackets(),
          highlightActiveLine(),
          highlightSelectionMatches(),
          search({ top: true }),
          this.language.of([]),
          keymap.of([
            { key: "Mod-Enter", run: () => (this.onRun?.(), true) },
            ...(readOnly ? [] : [{ key: "Tab", run: tabIndent, shift: indentLess }]),
            ...closeBracketsKeymap,
            ...defaultKeymap,
            ...searchKeymap,
            ...historyKeymap,
            ...foldKeymap,
          ]),
          EditorState.readOnly.of(readOnly),
          EditorView.contentAttributes.of(contentAttributes),
          EditorView.updateListener.of((update) => {
            if (update.docChanged && !this.settingValue) this.listeners.dispatchEvent(new Event("input"));
          }),
          theme,
        ],
      }),
    });
  }

  get value() {
    return this.view.state.doc.toString();
  }

  set value(text) {
    this.settingValue = true;
    try {
      this.view.dispatch({
        changes: { from: 0, to: this.view.state.doc.length, insert: text },
        selection: { anchor: 0 },
      });
    } finally {
      this.settingValue = false;
    }
    this.view.scrollDOM.scrollTop = 0;
    this.view.scrollDOM.scrollLeft = 0;
  }

  /**
   * Highlight as this language: its id from `GET /api/languages`, then its aliases; plain text
   * when none is known.
   * @param {string | null} id
   * @param {string[]} aliases
   */
  setLanguage(id, aliases = []) {
    if (id === this.languageId) return;
    this.languageId = id;
    const support = id ? languageSupport(id, ...aliases) : null;
    this.view.dispatch({ effects: this.language.reconfigure(support ?? []) });
  }

  focus() {
    this.view.focus();
  }

  /** `input`: the user changed the text (setting `value` does not count). */
  addEventListener(type, listener) {
    this.listeners.addEventListener(type, listener);
  }
}
