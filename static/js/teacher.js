// The teacher view (`/teacher`): a class chosen on the left (its join code, its teachers), its
// students live (the roster), a grid of their consoles, one student full size, and the progress
// table. The address keeps the class and the student followed: `#class=ID&student=ID`.

import { Api, describeError } from "./api.js";
import { Auth, AuthDialog, mountAccount } from "./auth.js";
import { ClassPanel } from "./classes.js";
import { byId, h } from "./dom.js";
import { ConsoleGrid } from "./grid.js";
import { ProgressTable } from "./progress.js";
import { ClassRoster } from "./roster.js";
import { setUpTabs } from "./tabs.js";
import { StudentWatch } from "./watch.js";

const auth = new Auth();
const api = new Api(() => auth.token, { onUnauthorized: () => auth.expired() });
auth.attach(api);
const dialog = new AuthDialog(auth, {
  defaultRole: "teacher",
  intro: "The teacher view needs a teacher account.",
});
mountAccount(byId("account"), auth, dialog, {
  extraLinks: () => [h("a", { href: "/", class: "nav-link" }, "IDE")],
});

const mayTeach = () => auth.signedIn && (auth.user.role === "teacher" || auth.user.role === "admin");
const token = () => auth.token;

let languageNames = {};
const languageName = (id) => languageNames[id] ?? id;

const tabs = setUpTabs(byId("tab-consoles").parentElement);
const classes = new ClassPanel(byId("classes"), { api });
const roster = new ClassRoster(
  {
    list: byId("roster"),
    status: byId("roster-status"),
    summary: byId("roster-summary"),
    filters: { search: byId("roster-search"), language: byId("roster-language"), state: byId("roster-state") },
  },
  {
    token,
    languageName,
    onFollow: (student) => openStudent(student, { focus: true }),
    onRemove: (student) => removeStudent(student),
    onExpired: () => auth.expired(),
  },
);
const grid = new ConsoleGrid(
  { list: byId("grid"), note: byId("grid-note") },
  { token, languageName, onOpen: (student) => openStudent(student, { focus: true }) },
);
const watch = new StudentWatch(
  {
    title: byId("watch-title"),
    meta: byId("watch-meta"),
    status: byId("watch-status"),
    editor: byId("watch-editor"),
    console: byId("watch-console"),
    codeTitle: byId("watch-code-title"),
    runs: byId("watch-runs"),
    runList: byId("watch-run-list"),
    live: byId("watch-live"),
  },
  { api, token, languageName, onExpired: () => auth.expired() },
);
const progress = new ProgressTable(byId("panel-progress"), { api });

let classId = null;
let wantedStudent = null; // from the address, until the roster lists the student

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  return { classId: params.get("class"), studentId: params.get("student") };
}

function writeHash() {
  // Signed out, the address keeps what it asked for, to open once a teacher signs in.
  if (!mayTeach()) return;
  const params = new URLSearchParams();
  if (classId) params.set("class", classId);
  if (watch.studentId) params.set("student", watch.studentId);
  const hash = params.toString();
  history.replaceState(null, "", hash ? `#${hash}` : location.pathname);
}

// -- a class, chosen ---------------------------------------------------------------------------

classes.addEventListener("select", (event) => {
  const info = event.detail;
  classId = info.id;
  byId("class-pane").classList.remove("alone");
  byId("class-main").hidden = false;
  byId("roster-box").hidden = false;
  byId("class-main-title").textContent = info.name;
  closeStudent();
  grid.clear();
  roster.open(info.id);
  progress.open(info.id);
  writeHash();
});

classes.addEventListener("none", () => {
  classId = null;
  closeStudent();
  roster.close();
  grid.clear();
  progress.close();
  byId("class-main").hidden = true;
  byId("roster-box").hidden = true;
  byId("class-pane").classList.add("alone");
  writeHash();
});

roster.addEventListener("students", (event) => {
  grid.show(classId, roster.shown);
  classes.setStudentCount(classId, event.detail.length);
  progress.refreshSoon();
  if (wantedStudent) {
    const student = roster.find(wantedStudent);
    wantedStudent = null;
    if (student) openStudent(student);
  } else if (watch.studentId && !roster.find(watch.studentId)) {
    closeStudent();
  }
});
roster.addEventListener("student", () => grid.show(classId, roster.shown));
roster.addEventListener("filter", () => grid.show(classId, roster.shown));
roster.addEventListener("validated", () => progress.refreshSoon());

// -- one student, full size --------------------------------------------------------------------

function openStudent(student, { focus = false } = {}) {
  tabs.select("tab-consoles");
  byId("grid-view").hidden = true;
  byId("watch-pane").hidden = false;
  if (watch.studentId !== student.id) watch.open(classId, student);
  roster.markCurrent(student.id);
  grid.markCurrent(student.id);
  writeHash();
  if (focus) byId("watch-title").focus();
}

function closeStudent({ focus = false } = {}) {
  const was = watch.studentId;
  watch.close();
  roster.markCurrent(null);
  grid.markCurrent(null);
  byId("watch-pane").hidden = true;
  byId("grid-view").hidden = false;
  writeHash();
  if (focus && was) grid.focusTile(was);
}

byId("watch-back").addEventListener("click", () => closeStudent({ focus: true }));

async function removeStudent(student) {
  if (!student || !classId) return;
  if (!window.confirm(`Remove ${student.name} from this class? They can join again with the join code.`)) return;
  try {
    await api.request("DELETE", `/api/classes/${encodeURIComponent(classId)}/students/${encodeURIComponent(student.id)}`);
    byId("roster-status").textContent = `${student.name} was removed from the class.`;
  } catch (error) {
    byId("roster-status").textContent = `Could not remove ${student.name}: ${describeError(error)}`;
  }
}

// -- who may see the page ----------------------------------------------------------------------

let shownFor = null; // the user the page was last set up for

function showGate() {
  const teacher = mayTeach();
  byId("gate").hidden = teacher;
  byId("class-pane").hidden = !teacher;
  if (teacher) {
    if (shownFor === auth.user.id) return;
    shownFor = auth.user.id;
    const wanted = readHash();
    wantedStudent = wanted.studentId;
    classes.load(wanted.classId);
    return;
  }
  shownFor = null;
  classId = null;
  closeStudent();
  roster.close();
  grid.clear();
  progress.close();
  classes.reset();
  byId("class-main").hidden = true;
  if (auth.signedIn) {
    byId("gate-text").textContent = `You are signed in as ${auth.user.name}, a ${auth.user.role}. The teacher view needs a teacher account.`;
    byId("gate-actions").replaceChildren(
      h("button", { type: "button", class: "primary", onclick: () => { auth.signOut(); dialog.open("signin"); } }, "Sign in as a teacher"),
      h("a", { href: "/", class: "nav-link" }, "Back to the IDE"),
    );
  } else {
    byId("gate-text").textContent = "Sign in with a teacher account to watch your classes live and read their progress.";
    byId("gate-actions").replaceChildren(
      h("button", { type: "button", class: "primary", onclick: () => dialog.open("signin") }, "Sign in"),
      h("button", { type: "button", class: "ghost", onclick: () => dialog.open("register") }, "Create a teacher account"),
    );
  }
}

auth.addEventListener("change", showGate);

async function loadLanguages() {
  try {
    const { languages } = await api.get("/api/languages");
    languageNames = Object.fromEntries(languages.map((language) => [language.id, language.name]));
  } catch {
    // The ids are shown instead of the names.
  }
}

await loadLanguages();
await auth.restore();
