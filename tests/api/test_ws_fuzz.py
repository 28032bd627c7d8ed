"""Garbage in over `/ws/run`: hypothesis sends random JSON, known message types with fields of
the wrong type, messages out of order, binary frames, frames over the size limit and text that
is not UTF-8, around real runs on the real engine.

The property: every message gets the answer docs/protocol.md gives it (an `error` with a
documented code, or a documented close code), every server message matches its schema in
docs/openapi.yaml, nothing is logged at ERROR, and afterwards the server is healthy and no
sandbox container is left behind.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from codex_ws.web.keys import ENGINE
from sandbox import SIGNALS, Engine
from tests.conftest import assert_nothing_left

from .conftest import Client, make_settings, start_client
from .test_openapi import validator

pytestmark = pytest.mark.docker

Socket = aiohttp.ClientWebSocketResponse

MAX_MESSAGE_BYTES = 4096  # the fuzzed server's CODEX_WS_MAX_MESSAGE_BYTES
# A program that reads and drops its stdin until EOF: it prints nothing, so every message on
# the socket while it runs is an answer to what the test sent.
WAITER = "import sys\nfor _ in sys.stdin:\n    pass\n"
START = {"type": "run", "language": "python", "code": WAITER, "limits": {"timeoutMs": 30000}}
# What a `run` that is refused before it starts may get; while one is running, a well-formed
# `run` gets `already_running` (its fields are checked first).
RUN_REFUSALS = frozenset(
    {"invalid_request", "unknown_language", "limit_too_high", "payload_too_large"}
)
RUN_MESSAGES = ("started", "stage", "stdout", "stderr", "exit")
SERVER_MESSAGE = validator({"$ref": "#/components/schemas/WsRunServerMessage"})


# -- what the client sends -------------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    """One frame; `text` is a text frame, `data` a binary one."""

    text: str | None = None
    data: bytes | None = None
    controlled: bool = False  # the test's own run of WAITER

    def __repr__(self) -> str:
        shown = self.text if self.text is None or len(self.text) < 200 else self.text[:200] + "…"
        return f"Send({shown!r})" if self.data is None else f"Send(binary {self.data[:50]!r})"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _text(value: Any) -> str:
    return json.dumps(value)


def _fields(**named: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Each field absent, of its own kind, or any JSON value at all."""
    return st.fixed_dictionaries({}, optional={k: v | json_values for k, v in named.items()})


typed_messages = st.one_of(
    st.builds(
        lambda fields: {"type": "run"} | fields,
        _fields(
            language=st.sampled_from(["python", "py", "javascript", "node", "cobol", ""]),
            code=st.text(max_size=40),
            args=st.lists(st.text(max_size=8), max_size=3),
            limits=_fields(timeoutMs=st.integers(-5, 10**6), memoryMb=st.integers(-5, 10**5)),
        ),
    ),
    st.builds(lambda fields: {"type": "stdin"} | fields, _fields(data=st.text(max_size=40))),
    st.builds(
        lambda fields: {"type": "signal"} | fields,
        _fields(signal=st.sampled_from([*SIGNALS, "SIGSTOP", "sigint", ""])),
    ),
    st.builds(lambda fields: {"type": "eof"} | fields, _fields(data=st.text(max_size=5))),
    st.just({"type": "ping"}),
)

# A \uD800-\uDFFF escape with no partner: valid JSON, but no text.
lone_surrogates = st.builds(
    lambda kind, unit: (
        f'{{"type": "stdin", "data": "a\\u{unit:04x}"}}'
        if kind == "stdin"
        else f'{{"type": "run", "language": "python", "code": "\\u{unit:04x}"}}'
    ),
    st.sampled_from(["stdin", "run"]),
    st.integers(0xD800, 0xDFFF),
)

# Nesting past the parser's recursion limit (1000 levels), within the size limit (aiohttp
# refuses a message of exactly the limit too, with 1009: stay below it).
deep_nesting = st.sampled_from([("[", 1), ('{"a":[', 2)]).flatmap(
    lambda nest: st.integers(1200 // nest[1], (MAX_MESSAGE_BYTES - 1) // len(nest[0])).map(
        lambda times: nest[0] * times
    )
)

actions = st.one_of(
    st.text(max_size=60).map(Send),
    json_values.map(lambda value: Send(_text(value))),
    typed_messages.map(lambda message: Send(_text(message))),
    st.text(min_size=1, max_size=12).map(lambda kind: Send(_text({"type": kind}))),
    st.binary(max_size=40).map(lambda data: Send(data=data)),
    lone_surrogates.map(Send),
    deep_nesting.map(Send),
    st.just(Send(_text(START), controlled=True)),
    st.text(max_size=40).map(lambda data: Send(_text({"type": "stdin", "data": data}))),
    st.just(Send(_text({"type": "eof"}))),
    st.sampled_from(SIGNALS).map(lambda name: Send(_text({"type": "signal", "signal": name}))),
)


@dataclass(frozen=True)
class Ending:
    """How the connection ends: the client closes it, or a frame the server must close on."""

    kind: str  # "close", "huge text", "huge binary", "not utf-8"
    size: int = 0

    @property
    def close_code(self) -> int:
        return {"close": 1000, "not utf-8": 1007}.get(self.kind, 1009)


endings = st.one_of(
    st.just(Ending("close")),
    st.builds(
        Ending,
        st.sampled_from(["huge text", "huge binary"]),
        st.integers(MAX_MESSAGE_BYTES + 1, 4 * MAX_MESSAGE_BYTES),
    ),
    st.just(Ending("not utf-8")),
)


# -- what the server must answer ---------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """The answers docs/protocol.md allows to one message."""

    errors: frozenset[str] = frozenset()  # one error with one of these codes
    pong: bool = False
    silent: bool = False  # no answer at all
    starts: bool = False  # a run may start (`started`, then the run's messages)
    ends: bool = False  # the running program ends: its `exit` follows


def expected(send: Send, running: bool) -> Expected:
    """What the protocol says `send` gets, with or without a program running."""
    if send.text is None:
        return Expected(errors=frozenset({"invalid_message"}))
    try:
        message = json.loads(send.text)
        json.dumps(message, ensure_ascii=False).encode()
    except RecursionError:
        return Expected(errors=frozenset({"invalid_json"}))
    except UnicodeEncodeError:
        return Expected(errors=frozenset({"invalid_request"}))
    except ValueError:
        return Expected(errors=frozenset({"invalid_json"}))
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return Expected(errors=frozenset({"invalid_message"}))
    kind = message["type"]
    if kind == "ping":
        return Expected(pong=True)
    if kind == "run":
        if running:
            return Expected(errors=RUN_REFUSALS | {"already_running"})
        return Expected(RUN_REFUSALS, starts=True)
    if kind not in ("stdin", "eof", "signal"):
        return Expected(errors=frozenset({"invalid_message"}))
    if not running:
        return Expected(errors=frozenset({"invalid_request"}))
    if kind == "stdin":
        ok = isinstance(message.get("data"), str)
        return Expected(silent=True) if ok else Expected(errors=frozenset({"invalid_request"}))
    if kind == "signal" and message.get("signal") not in SIGNALS:
        return Expected(errors=frozenset({"invalid_request"}))
    return Expected(ends=True)


# -- the conversation --------------------------------------------------------------------------


@dataclass
class Conversation:
    ws: Socket
    running: bool = False

    async def receive(self, within: float = 30) -> dict[str, Any]:
        async with asyncio.timeout(within):
            message = await self.ws.receive()
        assert message.type == aiohttp.WSMsgType.TEXT, message
        data: dict[str, Any] = json.loads(message.data)
        errors = [e.message for e in SERVER_MESSAGE.iter_errors(data)]
        assert not errors, (data, errors)
        note(f"← {message.data[:200]}")
        return data

    async def until_exit(self, seen: list[dict[str, Any]]) -> None:
        """The current run's messages up to its exit (they may be output, never answers)."""
        while not any(m["type"] == "exit" for m in seen):
            message = await self.receive()
            assert message["type"] in RUN_MESSAGES, message
            seen.append(message)
        self.running = False

    async def send(self, send: Send) -> None:
        """Send one frame and check its answer, using a ping as a barrier behind it."""
        expect = expected(send, self.running)
        event(f"expected {', '.join(k for k, v in vars(expect).items() if v)}")
        note(f"→ {send!r}")
        if send.text is not None:
            await self.ws.send_str(send.text)
        else:
            assert send.data is not None
            await self.ws.send_bytes(send.data)
        await self.ws.send_str('{"type": "ping"}')
        replies = []
        pongs = 2 if expect.pong else 1
        while pongs:
            message = await self.receive()
            pongs -= message["type"] == "pong"
            replies.append(message)
        replies.pop()  # the barrier's pong
        self._check(send, expect, replies)
        started = any(m["type"] == "started" for m in replies)
        if started:
            self.running = True
        if expect.ends or (started and not send.controlled):
            # A run the test does not control (a fuzzed `run` that was valid) ends by itself.
            await self.until_exit([m for m in replies if m["type"] in RUN_MESSAGES])

    def _check(self, send: Send, expect: Expected, replies: list[dict[str, Any]]) -> None:
        answers = [m for m in replies if m["type"] not in RUN_MESSAGES]
        kinds = [m["type"] for m in replies]
        context = (send, expect, replies)
        if expect.pong:
            assert answers == [{"type": "pong"}], context
        elif answers:
            assert len(answers) == 1 and answers[0]["type"] == "error", context
            assert answers[0]["code"] in expect.errors, context
        else:
            assert expect.silent or expect.ends or (expect.starts and "started" in kinds), context
        if "started" in kinds:
            assert expect.starts and kinds[0] == "started", context
        elif any(kind in RUN_MESSAGES for kind in kinds):
            assert expect.ends, context
        if send.controlled and not self.running:
            assert kinds == ["started"], context

    async def end(self, ending: Ending) -> None:
        note(f"→ {ending}")
        if ending.kind == "close":
            await self.ws.close()
        elif ending.kind == "huge text":
            await self.ws.send_str("x" * ending.size)
        elif ending.kind == "huge binary":
            await self.ws.send_bytes(b"x" * ending.size)
        else:
            await self.ws.send_frame(b'{"type": "ping", "x": "\xff\xfe"}', aiohttp.WSMsgType.TEXT)
        async with asyncio.timeout(30):
            while not self.ws.closed:
                message = await self.ws.receive()
                if message.type == aiohttp.WSMsgType.TEXT:
                    assert json.loads(message.data)["type"] in RUN_MESSAGES, message
        assert self.ws.close_code == ending.close_code, self.ws.close_code


# -- the test ---------------------------------------------------------------------------------


class ErrorRecords(logging.Handler):
    """Every record at ERROR or above, from any logger of this process (the server's too)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        """The records so far, with their tracebacks; a task lost while pending is logged
        only when it is collected, so collect first."""
        gc.collect()
        taken = [self.format(record) for record in self.records]
        self.records.clear()
        return taken


@dataclass(frozen=True)
class Fuzzed:
    client: Client
    errors: ErrorRecords


@pytest.fixture(scope="module")
async def fuzzed(engine: Engine) -> AsyncIterator[Fuzzed]:
    errors = ErrorRecords()
    logging.getLogger().addHandler(errors)
    client = await start_client(
        make_settings(ws_max_message_bytes=MAX_MESSAGE_BYTES, pool_sizes={"python": 1})
    )
    try:
        yield Fuzzed(client, errors)
        health = await client.get("/api/health")
        assert health.status == 200, await health.text()
        await assert_nothing_left(engine, client.app[ENGINE], within=30)
    finally:
        await client.close()
        logging.getLogger().removeHandler(errors)
    assert errors.take() == []


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(running=st.booleans(), sent=st.lists(actions, max_size=8), ending=endings)
async def test_garbage_gets_documented_answers(
    fuzzed: Fuzzed, running: bool, sent: list[Send], ending: Ending
) -> None:
    """Half the conversations start with a program running, so that the garbage meets it."""
    async with fuzzed.client.ws_connect("/ws/run") as ws:
        conversation = Conversation(ws)
        for send in [Send(_text(START), controlled=True)] * running + sent:
            await conversation.send(send)
        await conversation.end(ending)
    assert fuzzed.errors.take() == []
