// Share links: "Share" keeps a copy of the code at the server (`POST /api/snippets`) and shows
// its link; a page opened at `/s/{id}` starts with a copy of that code.

import { ApiError, describeError } from "./api.js";

const SHARE_PATH = /^\/s\/([A-Za-z0-9_-]{1,64})\/?$/;

/** The id of the share link this page was opened at, if any. */
export function sharedId() {
  return SHARE_PATH.exec(window.location.pathname)?.[1] ?? null;
}

/**
 * @param {{api: import("./api.js").Api, program: () => {language: string, code: string},
 *   button: HTMLButtonElement, dialog: HTMLDialogElement, url: HTMLInputElement,
 *   copy: HTMLButtonElement, status: HTMLElement}} parts
 */
export function setUpSharing({ api, program, button, dialog, url, copy, status }) {
  let sharing = false;
  button.addEventListener("click", async () => {
    if (sharing) return;
    sharing = true;
    button.setAttribute("aria-disabled", "true");
    const { language, code } = program();
    url.value = "";
    copy.hidden = true;
    status.textContent = "Making a link…";
    dialog.showModal();
    try {
      const snippet = await api.post("/api/snippets", { language, code });
      url.value = new URL(snippet.url, window.location.href).href;
      copy.hidden = false;
      status.textContent = "Anyone with this link gets a copy of this code as it is now; what you change afterwards stays yours.";
      url.focus();
      url.select();
    } catch (error) {
      status.textContent = `Could not make a link: ${describeError(error)}`;
    } finally {
      sharing = false;
      button.removeAttribute("aria-disabled");
    }
  });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(url.value);
    } catch {
      url.select();
      document.execCommand("copy");
    }
    status.textContent = "Link copied.";
  });
  dialog.addEventListener("close", () => button.focus());
}

/**
 * Read the snippet of a share link.
 * @returns {Promise<object|null>} null when no link has this id
 */
export async function readSnippet(api, id) {
  try {
    return await api.get(`/api/snippets/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 400)) return null;
    throw error;
  }
}
