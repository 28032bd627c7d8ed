// What the editor holds: the chosen language and the code of the open context (the scratchpad
// or an exercise). Drafts are kept per context and language in localStorage, so switching
// language or exercise never loses work.

import { helloWorld } from "./starters.js";
import { readStorage, removeStorage, writeStorage } from "./storage.js";

const LANGUAGE_KEY = "codex-ws.language";
const DRAFT_PREFIX = "codex-ws.draft.";
const SCRATCH = { key: "scratch", title: "Scratchpad", exercise: null };

export class Workspace extends EventTarget {
  /**
   * @param {{editor: import("./editor.js").CodeEditor, select: HTMLSelectElement, label: HTMLElement}} parts
   */
  constructor({ editor, select, label }) {
    super();
    this.editor = editor;
    this.select = select;
    this.label = label;
    this.languages = [];
    this.context = SCRATCH;
    this.language = null;
    this.saveTimer = null;
    select.addEventListener("change", () => this.setLanguage(select.value));
    editor.addEventListener("input", () => {
      clearTimeout(this.saveTimer);
      this.saveTimer = setTimeout(() => this.#saveDraft(), 300);
    });
    window.addEventListener("pagehide", () => this.#saveDraft());
  }

  /** @param {{id: string, name: string, version: string}[]} languages */
  setLanguages(languages) {
    this.languages = languages;
    this.select.replaceChildren(
      ...languages.map((language) => {
        const option = document.createElement("option");
        option.value = language.id;
        option.textContent = `${language.name} ${language.version}`;
        return option;
      }),
    );
    this.select.disabled = languages.length === 0;
    const stored = readStorage(LANGUAGE_KEY);
    const ids = languages.map((language) => language.id);
    const chosen = [stored, "python", ids[0]].find((id) => id && ids.includes(id)) ?? null;
    this.language = null;
    if (chosen) this.setLanguage(chosen);
  }

  languageName(id) {
    return this.languages.find((language) => language.id === id)?.name ?? id;
  }

  setLanguage(id) {
    if (id === this.language) return;
    this.#saveDraft();
    this.language = id;
    this.select.value = id;
    writeStorage(LANGUAGE_KEY, id);
    this.#loadDraft();
    this.dispatchEvent(new Event("change"));
  }

  openExercise(exercise) {
    this.#switchTo({ key: `exercise.${exercise.slug}`, title: exercise.title, exercise });
  }

  openScratch() {
    this.#switchTo(SCRATCH);
  }

  /** A copy of shared code (a share link), kept apart from the reader's own drafts. */
  openShared(snippet) {
    const known = this.languages.some((l) => l.id === snippet.language);
    if (known && snippet.language !== this.language) {
      this.#saveDraft();
      this.language = snippet.language;
      this.select.value = snippet.language;
    }
    this.#switchTo({ key: `shared.${snippet.id}`, title: "Shared code", exercise: null, code: snippet.code, language: snippet.language });
  }

  get isShared() {
    return this.context.key.startsWith("shared.");
  }

  /** The starter code again, for this context and language. */
  reset() {
    removeStorage(this.#draftKey());
    this.editor.value = this.#starter();
    this.editor.focus();
  }

  /** Put someone's code in the editor (a run from the history). */
  load(language, code) {
    if (this.languages.some((l) => l.id === language)) this.setLanguage(language);
    this.editor.value = code;
    this.#saveDraft();
  }

  get program() {
    return {
      language: this.language,
      languageName: this.languageName(this.language),
      code: this.editor.value,
    };
  }

  #switchTo(context) {
    this.#saveDraft();
    this.context = context;
    this.label.textContent = context.exercise ? `Exercise: ${context.title}` : context.title;
    this.label.title = this.label.textContent;
    this.#loadDraft();
    this.dispatchEvent(new Event("change"));
  }

  #starter() {
    if (this.context.code !== undefined && this.language === this.context.language) return this.context.code;
    const exercise = this.context.exercise;
    if (exercise) return exercise.starterCode?.[this.language] ?? helloWorld(this.language);
    return helloWorld(this.language);
  }

  #draftKey() {
    return `${DRAFT_PREFIX}${this.context.key}.${this.language}`;
  }

  #loadDraft() {
    if (!this.language) return;
    this.editor.value = readStorage(this.#draftKey()) ?? this.#starter();
  }

  #saveDraft() {
    clearTimeout(this.saveTimer);
    if (!this.language) return;
    const code = this.editor.value;
    if (code === this.#starter()) removeStorage(this.#draftKey());
    else writeStorage(this.#draftKey(), code);
  }
}
