// Following one student of a class over `/ws/classes/{id}/students/{userId}/follow`: their
// newest run (a snapshot, then its events live), and each run they start after it, on one
// socket. The grid's tiles and the full-size view both read a student this way.

import { authMessage, socketUrl } from "./api.js";
import { describeExit, statusTone } from "./format.js";
import { ReconnectingSocket } from "./socket.js";

// 4001: the sign-in was refused; 4003: not a teacher of the class; 4004: no such student.
const FINAL_CLOSES = [4001, 4003, 4004];

/**
 * What a follower is told. Every method is optional.
 * @typedef {{
 *   snapshot?: (session: object, events: object[]) => void,
 *   switched?: (session: object) => void,
 *   waiting?: (student: {id: string, name: string}) => void,
 *   code?: (shared: {language: string, code: string, at?: string}) => void,
 *   event?: (event: object) => void,
 *   problem?: (message: {code: string, message: string}) => void,
 *   connection?: (state: string, seconds: number) => void,
 *   refused?: (close: {code: number, reason: string}) => void,
 * }} FollowSink
 */

export class StudentFollow {
  /**
   * @param {{classId: string, studentId: string, token: () => (string|null), sink: FollowSink}} options
   */
  constructor({ classId, studentId, token, sink }) {
    this.classId = classId;
    this.studentId = studentId;
    this.sink = sink;
    const path = `/ws/classes/${encodeURIComponent(classId)}/students/${encodeURIComponent(studentId)}/follow`;
    this.socket = new ReconnectingSocket(() => socketUrl(path), {
      hello: () => authMessage(token()),
      shouldReconnect: (event) => !FINAL_CLOSES.includes(event.code),
    });
    this.socket.addEventListener("message", (event) => this.#onMessage(event.detail));
    this.socket.addEventListener("state", (event) => sink.connection?.(event.detail.state, event.detail.seconds));
    this.socket.addEventListener("close", (event) => {
      if (FINAL_CLOSES.includes(event.detail.code)) sink.refused?.(event.detail);
    });
  }

  start() {
    this.socket.connectNow();
  }

  stop() {
    this.socket.close();
  }

  #onMessage(message) {
    const sink = this.sink;
    switch (message.type) {
      case "snapshot":
        sink.snapshot?.(message.session, message.events ?? []);
        break;
      case "switched":
        sink.switched?.(message.session);
        break;
      case "waiting":
        sink.waiting?.(message.student);
        break;
      case "code":
        sink.code?.(message);
        break;
      case "error":
        sink.problem?.(message);
        break;
      case "pong":
        break;
      default:
        sink.event?.(message);
    }
  }
}

/**
 * Show one session event in a console; for an `exit`, returns its one-line summary and tone.
 * @param {import("./console.js").ConsoleView} view
 * @returns {{summary: string, tone: string}|null}
 */
export function showSessionEvent(view, event) {
  switch (event.type) {
    case "stdout":
    case "stderr":
    case "stdin":
      view.write(event.type, event.data);
      return null;
    case "stage":
      view.notice(event.stage === "compile" ? "Compiling…" : "Running…");
      return null;
    case "truncated": {
      const what = event.stream === "stdin" ? "typed input" : event.stream;
      view.notice(`More ${what} is not shown: this session stored all it may (${event.limitBytes} bytes).`, "warn");
      return null;
    }
    case "exit": {
      const summary = describeExit(event);
      const tone = statusTone(event.status);
      view.notice(`Process finished: ${summary}`, tone);
      return { summary, tone };
    }
    default:
      return null;
  }
}
