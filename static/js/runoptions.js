// What goes with a run besides the code: input given up front, and program arguments typed
// as in a shell; and the code as a file to download.

/**
 * Split a command line as a POSIX shell does, without expansions: spaces separate, '…' keeps
 * everything, "…" keeps everything but lets \ escape " \ $ `, and a bare \ escapes any one
 * character.
 * @returns {string[]}
 */
export function parseArgs(line) {
  const args = [];
  let current = "";
  let started = false;
  let quote = null;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quote === "'") {
      if (char === "'") quote = null;
      else current += char;
    } else if (quote === '"') {
      if (char === '"') quote = null;
      else if (char === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) current += line[++i];
      else current += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      started = true;
    } else if (char === "\\") {
      if (i + 1 < line.length) current += line[++i];
      started = true;
    } else if (/\s/.test(char)) {
      if (started) args.push(current);
      current = "";
      started = false;
    } else {
      current += char;
      started = true;
    }
  }
  if (quote) throw new Error(`The arguments have a ${quote === "'" ? "single" : "double"} quote that is not closed.`);
  if (started) args.push(current);
  return args;
}

const FILE_NAMES = { python: "main.py", javascript: "main.js", java: "Main.java", csharp: "Program.cs" };

/** The file name a program of this language usually has (Java: its public class's). */
export function fileName(language, code) {
  if (language === "java") {
    const name = /\bpublic\s+(?:final\s+|abstract\s+)*class\s+([A-Za-z_$][\w$]*)/.exec(code)?.[1];
    if (name) return `${name}.java`;
  }
  return FILE_NAMES[language] ?? `main.${language}`;
}

/** Save the code as a file, named as its language would have it. */
export function download(language, code) {
  const url = URL.createObjectURL(new Blob([code], { type: "text/plain;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName(language, code);
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
