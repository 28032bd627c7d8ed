// The IDE page (`/`, and `/s/{id}` for a share link): editor, live runs, exercises and
// history, wired together.

import { Api, authMessage, describeError, socketUrl } from "./api.js";
import { Auth, AuthDialog, mountAccount } from "./auth.js";
import { ConsoleView } from "./console.js";
import { setUpDisplay } from "./display.js";
import { byId, h } from "./dom.js";
import { CodeEditor } from "./editor.js";
import { ExercisesPanel } from "./exercises.js";
import { CodeSharing } from "./followed.js";
import { shortDateTime, statusLabel } from "./format.js";
import { HistoryPanel } from "./history.js";
import { Drawer, NARROW, setUpSplitters } from "./layout.js";
import { ClassesPanel } from "./membership.js";
import { Runner } from "./runner.js";
import { download, parseArgs } from "./runoptions.js";
import { readSnippet, setUpSharing, sharedId } from "./share.js";
import { ReconnectingSocket } from "./socket.js";
import { setUpTabs } from "./tabs.js";
import { VerdictView } from "./verdict.js";
import { Workspace } from "./workspace.js";

setUpDisplay({ theme: byId("theme"), smaller: byId("font-smaller"), larger: byId("font-larger"), size: byId("font-size") });
setUpSplitters({ work: document.querySelector(".work"), editorSplitter: byId("editor-splitter"), sidebarSplitter: byId("sidebar-splitter") });
const drawer = new Drawer({
  panel: byId("sidebar"),
  openButton: byId("drawer-open"),
  closeButton: byId("drawer-close"),
  backdrop: byId("drawer-backdrop"),
  outside: [document.querySelector(".topbar"), document.querySelector(".work"), byId("session-ended"), byId("sidebar-splitter")],
});

const auth = new Auth();
const api = new Api(() => auth.token, { onUnauthorized: () => auth.expired() });
auth.attach(api);
const dialog = new AuthDialog(auth);
mountAccount(byId("account"), auth, dialog, {
  extraLinks: (user) => (user?.role === "teacher" || user?.role === "admin" ? [h("a", { href: "/teacher", class: "nav-link" }, "Teacher view")] : []),
});

const tablist = byId("tab-exercises").parentElement;
const tabs = setUpTabs(tablist);

let runner = null;
const editor = new CodeEditor(byId("editor"), {
  id: "code",
  label: "Code",
  hintId: "editor-hint",
  onRun: () => runner?.run(),
});
const workspace = new Workspace({ editor, select: byId("language"), label: byId("context-label") });
workspace.addEventListener("change", () => {
  const language = workspace.languages.find((l) => l.id === workspace.language);
  editor.setLanguage(workspace.language, language?.aliases ?? []);
});
const output = new ConsoleView(byId("console"), {
  input: {
    accepts: () => runner?.acceptsInput ?? false,
    send: (data) => runner.sendTyped(data),
    interrupt: () => runner.signal("SIGINT"),
    eof: () => runner.endInput(),
  },
});

const socket = new ReconnectingSocket(() => socketUrl("/ws/run"), {
  hello: () => authMessage(auth.token),
  // 4001: the token was refused (or anonymous runs are off); 4003: not allowed. Retrying the
  // same thing would fail the same way: the page decides what to do instead.
  shouldReconnect: (event) => event.code !== 4001 && event.code !== 4003,
});
const stdinBox = byId("run-stdin");
const argsField = byId("run-args");
let pendingRun = false;
runner = new Runner({
  socket,
  console: output,
  program: () => ({ ...workspace.program, args: parseArgs(argsField.value), stdin: stdinBox.value }),
  hold: () => {
    if (!auth.sessionEnded) return false;
    pendingRun = true;
    showSessionEnded("Your run waits: sign in again, or continue signed out to run it anonymously.");
    return true;
  },
  elements: {
    run: byId("run"),
    stop: byId("stop"),
    interrupt: byId("interrupt"),
    status: byId("run-status"),
    stdinForm: byId("stdin-form"),
    stdin: byId("stdin"),
    stdinSend: byId("stdin-send"),
    eof: byId("eof"),
    clear: byId("clear"),
    connection: byId("connection"),
    reconnect: byId("reconnect"),
    fallbackFocus: editor,
  },
});

new CodeSharing({ socket, workspace, editor, indicator: byId("followed") });

const exercises = new ExercisesPanel(byId("panel-exercises"), { api, auth, onSignIn: () => dialog.open() });
const historyPanel = new HistoryPanel(byId("panel-history"), {
  api,
  auth,
  onSignIn: () => dialog.open(),
  languageName: (id) => workspace.languageName(id),
});

const classesPanel = new ClassesPanel(byId("panel-classes"), { api, auth, onSignIn: () => dialog.open() });

tablist.addEventListener("tabchange", (event) => {
  if (event.detail === "tab-history" && auth.signedIn) historyPanel.refresh();
  if (event.detail === "tab-classes") classesPanel.refresh();
});

const checkButton = byId("check");
const consolePane = byId("console-pane");
const resultsPane = byId("check-results");
const resultsToggle = byId("show-results");
const verdictView = new VerdictView(resultsPane);
const runStatus = byId("run-status");

/** On a narrow screen the console is below the editor: bring it (and the run's result) into view. */
function revealConsole() {
  if (NARROW.matches) consolePane.scrollIntoView({ block: "end", behavior: "instant" });
}

function showResults(shown) {
  resultsPane.hidden = !shown;
  // The run's input controls have nothing to do with a verdict: its rows get their room.
  consolePane.classList.toggle("showing-results", shown);
  byId("console").hidden = shown;
  resultsToggle.hidden = resultsPane.childElementCount === 0;
  resultsToggle.textContent = shown ? "Console output" : "Check results";
}
resultsToggle.addEventListener("click", () => showResults(resultsPane.hidden));

exercises.addEventListener("open", (event) => {
  workspace.openExercise(event.detail);
  checkButton.hidden = false;
});
exercises.addEventListener("close", () => {
  workspace.openScratch();
  checkButton.hidden = true;
  resultsPane.replaceChildren();
  showResults(false);
});
exercises.addEventListener("reset", () => workspace.reset());
let checking = false;
checkButton.addEventListener("click", async () => {
  const exercise = exercises.current;
  if (checking || !exercise) return;
  // Kept enabled while it works (aria-disabled): a disabled button would drop the focus.
  checking = true;
  checkButton.setAttribute("aria-disabled", "true");
  drawer.close();
  verdictView.checking(exercise.title);
  showResults(true);
  revealConsole();
  runStatus.dataset.tone = "neutral";
  runStatus.textContent = "Checking…";
  try {
    const verdict = await exercises.check(workspace.language, editor.value);
    if (exercises.current !== exercise) return;
    verdictView.show(verdict, { signedIn: auth.signedIn });
    runStatus.dataset.tone = verdict.passed ? "good" : "bad";
    runStatus.textContent = verdict.passed
      ? `Checked: all ${verdict.total} tests passed`
      : `Checked: ${verdict.passedCount} of ${verdict.total} tests passed`;
  } catch (error) {
    verdictView.failed(error);
    runStatus.dataset.tone = "bad";
    runStatus.textContent = "Not checked";
  } finally {
    checking = false;
    checkButton.removeAttribute("aria-disabled");
    showResults(true);
    verdictView.revealFailure();
    revealConsole();
  }
});

runner.addEventListener("start", () => {
  drawer.close();
  showResults(false);
  revealConsole();
});

setUpSharing({
  api,
  program: () => workspace.program,
  button: byId("share"),
  dialog: byId("share-dialog"),
  url: byId("share-url"),
  copy: byId("share-copy"),
  status: byId("share-status"),
});
byId("download").addEventListener("click", () => download(workspace.language, editor.value));


const sessionBanner = byId("session-ended");
function showSessionEnded(detail) {
  byId("session-ended-detail").textContent = detail;
  sessionBanner.hidden = false;
}
byId("session-sign-in").addEventListener("click", () => dialog.open("signin"));
byId("session-anonymous").addEventListener("click", () => auth.continueSignedOut());
auth.addEventListener("expired", () => {
  output.notice("Your session ended; sign in again. Your code stays in the editor, and nothing runs until you sign in or choose to continue signed out.", "warn");
  showSessionEnded("Your code stays in the editor.");
});
auth.addEventListener("change", () => {
  if (auth.sessionEnded) return;
  sessionBanner.hidden = true;
  if (pendingRun) {
    pendingRun = false;
    // After the other listeners of this change: the socket reconnects with the new sign-in
    // first, and the run goes out on that connection.
    setTimeout(() => runner.run(), 0);
  }
});

historyPanel.addEventListener("load", (event) => {
  const run = event.detail;
  workspace.load(run.language, run.code);
  output.clear();
  output.notice(`Your ${workspace.languageName(run.language)} run from ${shortDateTime(run.createdAt)} (${statusLabel(run.status)}): its code is in the editor, its output below.`);
  output.write("stdout", run.output);
  output.write("stderr", run.error);
  drawer.close();
  editor.focus();
});

// A new identity needs a new connection (the token is checked by its first message); a run
// in progress is left to finish first.
let reconnectAfterRun = false;
let knownToken = auth.token;

runner.addEventListener("exit", () => {
  if (auth.signedIn && runner.sessionId) historyPanel.expectRun(runner.sessionId);
  if (reconnectAfterRun) {
    reconnectAfterRun = false;
    socket.connectNow();
  }
});

auth.addEventListener("change", () => {
  if (auth.token === knownToken) return;
  knownToken = auth.token;
  if (runner.busy) reconnectAfterRun = true;
  else socket.connectNow();
});

socket.addEventListener("close", (event) => {
  const close = event.detail;
  if (close.code !== 4001) return;
  if (auth.token) {
    auth.expired();
  } else {
    output.notice(`Sign in to run code (${close.reason || "the server does not take anonymous runs"}).`, "warn");
  }
});

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented) return;
  if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
    event.preventDefault();
    runner.run();
  }
});

async function loadLanguages() {
  try {
    const { languages } = await api.get("/api/languages");
    workspace.setLanguages(languages);
  } catch (error) {
    output.notice(`Could not load the list of languages (${describeError(error)}). Retrying…`, "bad");
    setTimeout(loadLanguages, 3000);
  }
}

async function openShareLink(id) {
  let snippet;
  try {
    snippet = await readSnippet(api, id);
  } catch (error) {
    output.notice(`Could not open the share link (${describeError(error)}): your own code is in the editor. Reload to try again.`, "bad");
    return;
  }
  if (!snippet) {
    output.notice("This share link does not exist: it may be mistyped or cut short. Your own code is in the editor.", "bad");
    runStatus.dataset.tone = "bad";
    runStatus.textContent = "Unknown share link";
    window.history.replaceState(null, "", "/");
    return;
  }
  workspace.openShared(snippet);
  output.notice(`A copy of shared ${workspace.languageName(snippet.language)} code is in the editor: your changes stay here, the link keeps the original. Your own drafts are where you left them.`);
}

async function start() {
  await Promise.all([auth.restore(), loadLanguages()]);
  knownToken = auth.token;
  const shared = sharedId();
  if (shared) await openShareLink(shared);
  if (socket.state === "closed") socket.connectNow();
}

start();
