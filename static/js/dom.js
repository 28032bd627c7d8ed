// Building DOM nodes without innerHTML: every string becomes a text node or an attribute.

/**
 * h("button", {class: "primary", onclick: fn}, "Run") → <button class="primary">Run</button>
 * Attribute values are set with setAttribute; children that are not Nodes become text.
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

/** The element with this id; fails loudly when the page lacks it. */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element;
}

/** Text only a screen reader reads. */
export function srOnly(text) {
  return h("span", { class: "sr-only" }, text);
}

/**
 * Text in a live region that changes every second (a countdown): screen readers hear `spoken`
 * once, when it changes; sighted users see `shown`, kept up to date without being announced.
 */
export function setLiveText(element, spoken, shown = spoken) {
  const split = shown !== spoken;
  const key = split ? `split:${spoken}` : `plain:${spoken}`;
  if (element.dataset.spoken !== key) {
    element.dataset.spoken = key;
    if (split) element.replaceChildren(srOnly(spoken), h("span", { "aria-hidden": "true" }, shown));
    else element.textContent = spoken;
  } else if (split && element.lastChild.textContent !== shown) {
    element.lastChild.textContent = shown;
  }
}
