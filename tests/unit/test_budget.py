"""A session's budget of stored bytes: what it keeps of each event, and its `truncated` marks."""

from __future__ import annotations

import json
import random

from codex_ws.domain.budget import (
    ENTRY_BYTES,
    Event,
    SessionBudget,
    capped,
    cost,
    encode,
    page,
)

EMOJI = "\U0001f600"  # 4 bytes of UTF-8, 12 of escaped JSON


def kept_events(budget: SessionBudget, events: list[Event]) -> list[Event]:
    return [kept.event for event in events for kept in budget.admit(event)]


def data_cost(events: list[Event]) -> int:
    return sum(cost(encode(e)) for e in events if e["type"] in ("stdout", "stderr", "stdin"))


def test_events_within_the_budget_are_kept_whole_with_their_stored_text() -> None:
    budget = SessionBudget(stored_bytes=4096, stdin_bytes=1024)
    events: list[Event] = [
        {"type": "stage", "stage": "run"},
        {"type": "stdout", "data": "name? "},
        {"type": "stdin", "data": "Grace\n"},
        {"type": "stdout", "data": f"Hello, Grace {EMOJI}!\n"},
    ]
    kept = [k for event in events for k in budget.admit(event)]
    assert [k.event for k in kept] == events
    assert [k.text for k in kept] == [json.dumps(e) for e in events]
    assert budget.used == data_cost(events)
    assert budget.stdin_used == cost(encode(events[2]))
    assert not budget.truncated


def test_escaped_characters_count_as_stored() -> None:
    event: Event = {"type": "stdout", "data": EMOJI * 100}
    assert cost(encode(event)) == len('{"type": "stdout", "data": ""}') + 1200 + ENTRY_BYTES
    budget = SessionBudget(stored_bytes=4096, stdin_bytes=0)
    budget.admit(event)
    assert budget.used == cost(encode(event))


def test_stdin_past_its_part_is_cut_once_and_output_goes_on() -> None:
    budget = SessionBudget(stored_bytes=100_000, stdin_bytes=10_000)
    flood: Event = {"type": "stdin", "data": EMOJI * 62_000}
    first = kept_events(budget, [flood])
    assert [e["type"] for e in first] == ["stdin", "truncated"]
    assert flood["data"].startswith(first[0]["data"])
    assert first[1] == {"type": "truncated", "stream": "stdin", "limitBytes": 10_000}
    assert budget.stdin_used <= 10_000
    assert budget.stdin_used > 10_000 - 12 - ENTRY_BYTES  # filled up to the last emoji

    # More stdin: nothing, and no second mark; output is still stored in full.
    assert kept_events(budget, [flood, {"type": "stdin", "data": "x"}] * 10) == []
    output: Event = {"type": "stdout", "data": "read it all\n"}
    assert kept_events(budget, [output]) == [output]
    assert budget.truncated == {"stdin"}


def test_a_cut_never_splits_an_escaped_character() -> None:
    data = "a\n" + EMOJI * 50
    lengths = set()
    for room in range(60, 200):
        budget = SessionBudget(stored_bytes=room, stdin_bytes=room)
        *parts, mark = budget.admit({"type": "stdout", "data": data})
        assert mark.event["type"] == "truncated"
        for part in parts:
            stored = json.loads(part.text)["data"]
            assert stored == part.event["data"] == data[: len(stored)]
            assert cost(part.text) <= room < cost(part.text) + 12  # as much as fits
            lengths.add(len(stored))
    assert len(lengths) > 5


def test_output_fills_the_session_budget_then_each_stream_is_cut_once() -> None:
    budget = SessionBudget(stored_bytes=8192, stdin_bytes=2048)
    events: list[Event] = [{"type": "stdout", "data": "y" * 1000}] * 20
    events += [{"type": "stderr", "data": "oops\n"}, {"type": "stdin", "data": "z"}]
    events += [{"type": "exit", "status": "output_limit", "exitCode": None}]
    kept = kept_events(budget, events)
    marks = [e for e in kept if e["type"] == "truncated"]
    assert marks == [
        {"type": "truncated", "stream": "stdout", "limitBytes": 8192},
        {"type": "truncated", "stream": "stderr", "limitBytes": 8192},
        {"type": "truncated", "stream": "stdin", "limitBytes": 8192},
    ]
    assert kept[-1]["type"] == "exit"  # the end is always kept
    assert data_cost(kept) == budget.used <= 8192


def test_a_random_flood_never_stores_more_than_the_budget() -> None:
    rng = random.Random(7)
    alphabet = ["a", "\n", "\x01", "é", EMOJI, '"', "\\"]
    for _ in range(30):
        stored, stdin = rng.randint(4096, 50_000), rng.randint(0, 20_000)
        budget = SessionBudget(stored_bytes=stored, stdin_bytes=stdin)
        events: list[Event] = [
            {
                "type": rng.choice(["stdout", "stderr", "stdin"]),
                "data": "".join(rng.choices(alphabet, k=rng.randint(0, 3000))),
            }
            for _ in range(200)
        ]
        kept = kept_events(budget, events)
        assert data_cost(kept) == budget.used <= stored
        assert data_cost([e for e in kept if e["type"] == "stdin"]) <= stdin
        marks = [e["stream"] for e in kept if e["type"] == "truncated"]
        assert len(marks) == len(set(marks)) == len(budget.truncated)
        for stream in ("stdout", "stderr", "stdin"):
            sent = "".join(e["data"] for e in events if e["type"] == stream)
            stored_text = "".join(e["data"] for e in kept if e["type"] == stream)
            assert sent.startswith(stored_text)  # a prefix, without holes
            assert (stored_text == sent) == (stream not in budget.truncated)


def test_a_budget_of_nothing_for_stdin_keeps_only_the_mark() -> None:
    budget = SessionBudget(stored_bytes=4096, stdin_bytes=0)
    assert kept_events(budget, [{"type": "stdin", "data": "hi\n"}]) == [
        {"type": "truncated", "stream": "stdin", "limitBytes": 0}
    ]
    assert budget.used == 0


def test_capped_applies_a_budget_to_events_stored_before_it() -> None:
    events: list[Event] = [{"type": "stdout", "data": "x" * 100}] * 100
    events.append({"type": "exit", "status": "ok"})
    kept = capped(events, SessionBudget(stored_bytes=4096, stdin_bytes=0))
    assert kept[-2:] == [{"type": "truncated", "stream": "stdout", "limitBytes": 4096}, events[-1]]
    assert data_cost(kept) <= 4096


def test_pages_by_count_and_by_bytes() -> None:
    events: list[Event] = [{"type": "stdout", "data": str(i)} for i in range(10)]
    assert page(events, 0, 4, 10_000) == (events[:4], True)
    assert page(events, 4, 4, 10_000) == (events[4:8], True)
    assert page(events, 8, 4, 10_000) == (events[8:], False)
    assert page(events, 10, 4, 10_000) == ([], False)
    assert page(events, 50, 4, 10_000) == ([], False)

    one = len(encode(events[0]))
    assert page(events, 0, 100, 3 * one) == (events[:3], True)
    big: list[Event] = [{"type": "stdout", "data": "x" * 1000}, *events]
    assert page(big, 0, 100, 10) == (big[:1], True)  # one event at least
