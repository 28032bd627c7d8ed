// The IDE page (`/`): editor, live runs, exercises and history, wired together.

import { Api, authMessage, describeError, socketUrl } from "./api.js";
import { Auth, AuthDialog, mountAccount } from "./auth.js";
import { ConsoleView } from "./console.js";
import { byId, h } from "./dom.js";
import { CodeEditor } from "./editor.js";
import { ExercisesPanel } from "./exercises.js";
import { CodeSharing } from "./followed.js";
import { shortDateTime, statusLabel } from "./format.js";
import { HistoryPanel } from "./history.js";
import { ClassesPanel } from "./membership.js";
import { Runner } from "./runner.js";
import { ReconnectingSocket } from "./socket.js";
import { setUpTabs } from "./tabs.js";
import { Workspace } from "./workspace.js";

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
runner = new Runner({
  socket,
  console: output,
  program: () => workspace.program,
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
exercises.addEventListener("open", (event) => {
  workspace.openExercise(event.detail);
  checkButton.hidden = false;
});
exercises.addEventListener("close", () => {
  workspace.openScratch();
  checkButton.hidden = true;
});
exercises.addEventListener("reset", () => workspace.reset());
let checking = false;
checkButton.addEventListener("click", async () => {
  if (checking) return;
  // Kept enabled while it works (aria-disabled): a disabled button would drop the focus.
  checking = true;
  checkButton.setAttribute("aria-disabled", "true");
  tabs.select("tab-exercises");
  try {
    await exercises.check(workspace.language, editor.value);
  } finally {
    checking = false;
    checkButton.removeAttribute("aria-disabled");
  }
});

historyPanel.addEventListener("load", (event) => {
  const run = event.detail;
  workspace.load(run.language, run.code);
  output.clear();
  output.notice(`Your ${workspace.languageName(run.language)} run from ${shortDateTime(run.createdAt)} (${statusLabel(run.status)}): its code is in the editor, its output below.`);
  output.write("stdout", run.output);
  output.write("stderr", run.error);
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
    output.notice("Your sign-in has expired: sign in again. Runs are anonymous until then.", "warn");
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

async function start() {
  await Promise.all([auth.restore(), loadLanguages()]);
  knownToken = auth.token;
  if (socket.state === "closed") socket.connectNow();
}

start();
