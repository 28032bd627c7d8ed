// A small, safe Markdown renderer for exercise statements. It builds DOM nodes (never HTML
// strings), so whatever the text holds is shown as text. Supported: headings, paragraphs,
// fenced code blocks, bullet and numbered lists, `inline code`, **bold** and *italics*.

import { h } from "./dom.js";

const FENCE = /^\s*(```|~~~)\s*([\w+-]*)\s*$/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*(\d{1,9})[.)]\s+(.*)$/;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;

/**
 * @param {string} source Markdown text
 * @param {{headingOffset?: number}} options shift heading levels (## → h3 with offset 1)
 * @returns {DocumentFragment}
 */
export function renderMarkdown(source, { headingOffset = 1 } = {}) {
  const out = document.createDocumentFragment();
  const lines = String(source ?? "").replace(/\r\n?/g, "\n").split("\n");
  let paragraph = [];
  let list = null; // {element, ordered}

  const flushParagraph = () => {
    if (paragraph.length) out.append(h("p", {}, inline(paragraph.join(" "))));
    paragraph = [];
  };
  const closeList = () => {
    list = null;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = line.match(FENCE);
    if (fence) {
      flushParagraph();
      closeList();
      const body = [];
      for (i += 1; i < lines.length && !lines[i].trim().startsWith(fence[1]); i++) body.push(lines[i]);
      const code = h("code", fence[2] ? { class: `language-${fence[2]}` } : {}, body.join("\n"));
      out.append(h("pre", { class: "code-block" }, code));
      continue;
    }
    if (!line.trim()) {
      flushParagraph();
      // A blank line between items keeps the list going; anything else after it ends it.
      const next = lines.slice(i + 1).find((l) => l.trim());
      if (list && !(next && (list.ordered ? NUMBERED : BULLET).test(next))) closeList();
      continue;
    }
    const heading = line.match(HEADING);
    if (heading) {
      flushParagraph();
      closeList();
      const level = Math.min(6, heading[1].length + headingOffset);
      out.append(h(`h${level}`, {}, inline(heading[2])));
      continue;
    }
    if (RULE.test(line)) {
      flushParagraph();
      closeList();
      out.append(h("hr"));
      continue;
    }
    const bullet = line.match(BULLET);
    const numbered = bullet ? null : line.match(NUMBERED);
    if (bullet || numbered) {
      flushParagraph();
      const ordered = Boolean(numbered);
      if (!list || list.ordered !== ordered) {
        const attrs = ordered && numbered[1] !== "1" ? { start: Number(numbered[1]) } : {};
        list = { element: h(ordered ? "ol" : "ul", attrs), ordered, item: null };
        out.append(list.element);
      }
      list.item = h("li", {}, inline(ordered ? numbered[2] : bullet[1]));
      list.element.append(list.item);
      continue;
    }
    if (list && /^\s+\S/.test(line) && list.item) {
      list.item.append(" ", ...inline(line.trim()));
      continue;
    }
    closeList();
    paragraph.push(line.trim());
  }
  flushParagraph();
  return out;
}

const INLINE = [
  { re: /`([^`]+)`/, make: (m) => h("code", {}, m[1]) },
  { re: /\*\*(?=\S)(.+?)(?<=\S)\*\*/, make: (m) => h("strong", {}, inline(m[1])) },
  { re: /__(?=\S)(.+?)(?<=\S)__/, make: (m) => h("strong", {}, inline(m[1])) },
  { re: /(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])/, make: (m) => h("em", {}, inline(m[1])) },
  { re: /(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])/, make: (m) => h("em", {}, inline(m[1])) },
];

/** Inline Markdown as an array of nodes (text stays text). */
function inline(text) {
  const nodes = [];
  let rest = text;
  while (rest) {
    let best = null;
    for (const rule of INLINE) {
      const match = rule.re.exec(rest);
      if (match && (best === null || match.index < best.match.index)) best = { rule, match };
    }
    if (!best) {
      nodes.push(document.createTextNode(rest));
      break;
    }
    if (best.match.index > 0) nodes.push(document.createTextNode(rest.slice(0, best.match.index)));
    nodes.push(best.rule.make(best.match));
    rest = rest.slice(best.match.index + best.match[0].length);
  }
  return nodes;
}
