// Words and numbers for people: run statuses, durations, times.

const STATUS_LABELS = {
  ok: "OK",
  runtime_error: "Runtime error",
  compile_error: "Compile error",
  timeout: "Time limit exceeded",
  memory_limit: "Memory limit exceeded",
  output_limit: "Output limit exceeded",
  killed: "Killed",
  internal_error: "Internal error",
  accepted: "Accepted",
  wrong_answer: "Wrong answer",
  hidden_failed: "A hidden test failed",
  passed: "Passed",
  failed: "Failed",
};

export function statusLabel(status) {
  if (!status) return "—";
  return STATUS_LABELS[status] ?? status.replaceAll("_", " ");
}

/** `good`, `bad` or `neutral`: the colour family a status is shown in. */
export function statusTone(status) {
  if (status === "ok" || status === "accepted" || status === "passed") return "good";
  if (!status || status === "running") return "neutral";
  return "bad";
}

export function duration(ms) {
  if (ms === null || ms === undefined) return "";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function clockTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** "12:03:04" today, "26 Nov, 12:03" before. */
export function shortDateTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const today = new Date();
  if (date.toDateString() === today.toDateString()) return clockTime(iso);
  return date.toLocaleString([], {
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** What an `exit` message means, in one line. */
export function describeExit(exit) {
  const parts = [statusLabel(exit.status)];
  if (exit.signal) parts[0] += ` (${exit.signal})`;
  // Stopped by a limit, the program did not choose its exit code: showing one would mislead.
  const stoppedByLimit = ["output_limit", "timeout", "memory_limit"].includes(exit.status);
  if (!stoppedByLimit && exit.exitCode !== null && exit.exitCode !== undefined) parts.push(`exit code ${exit.exitCode}`);
  if (exit.durationMs !== null && exit.durationMs !== undefined) parts.push(duration(exit.durationMs));
  if (exit.truncated && exit.status !== "output_limit") parts.push("output truncated");
  return parts.join(" · ");
}
