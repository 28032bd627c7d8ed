"""What a session may store of what its run sends and receives: a budget in bytes.

Every event a session keeps (in its Redis stream for watchers, and as its transcript in
PostgreSQL) is counted as the JSON text it is stored as, plus a fixed cost per entry, so that a
flood of tiny events costs what its entries cost. `stdout`, `stderr` and `stdin` share the
session's budget, and `stdin` may take only its own part of it: what the student types over a
socket has no other bound, while the program's output has one of its own. An event that does
not fit is kept up to the byte that fits; after it comes one `truncated` event for its stream,
and nothing more of that stream is kept. The run is not affected: the program still reads all
of its stdin, and its owner still gets all of its output.

`stage`, `exit` and `truncated` events are always kept: a session has at most two stages, one
exit and three truncations, with fields of the server's own making.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

Event = dict[str, Any]

DATA_STREAMS = ("stdout", "stderr", "stdin")
# What one more entry costs beyond its text: Redis spends about 20 bytes on a small stream
# entry, and PostgreSQL a few on an element of a jsonb array.
ENTRY_BYTES = 32


def encode(event: Event) -> str:
    """An event as it is stored (ASCII JSON: each character beyond ASCII is escaped)."""
    return json.dumps(event)


def cost(text: str) -> int:
    """What storing one event's text counts against a budget."""
    return len(text) + ENTRY_BYTES


def truncated_json(stream: str, limit_bytes: int) -> Event:
    """The event that says nothing more of `stream` is stored, and at which budget."""
    return {"type": "truncated", "stream": stream, "limitBytes": limit_bytes}


@dataclass(frozen=True, slots=True)
class Kept:
    """An event to store, with its text."""

    event: Event
    text: str


@dataclass(slots=True)
class SessionBudget:
    """The bytes one session has stored so far, and which of its streams are cut off."""

    stored_bytes: int  # stdout, stderr and stdin together
    stdin_bytes: int  # of which stdin
    used: int = 0
    stdin_used: int = 0
    truncated: set[str] = field(default_factory=set)

    def admit(self, event: Event) -> list[Kept]:
        """What to store for `event`: it whole, a part of it and a `truncated`, or nothing."""
        stream = event.get("type")
        if stream not in DATA_STREAMS or not isinstance(event.get("data"), str):
            return [Kept(event, encode(event))]
        if stream in self.truncated:
            return []  # without encoding it: a flood past the budget costs nothing more
        room, limit = self._room(stream)
        text = encode(event)
        if cost(text) <= room:
            self._charge(stream, cost(text))
            return [Kept(event, text)]
        kept: list[Kept] = []
        part = _part_that_fits(stream, event["data"], room - ENTRY_BYTES)
        if part is not None:
            self._charge(stream, cost(part.text))
            kept.append(part)
        self.truncated.add(stream)
        mark = truncated_json(stream, limit)
        kept.append(Kept(mark, encode(mark)))
        return kept

    def _room(self, stream: str) -> tuple[int, int]:
        """The bytes `stream` may still store, and the budget that bounds them."""
        room = self.stored_bytes - self.used
        if stream == "stdin" and self.stdin_bytes - self.stdin_used < room:
            return self.stdin_bytes - self.stdin_used, self.stdin_bytes
        return room, self.stored_bytes

    def _charge(self, stream: str, spent: int) -> None:
        self.used += spent
        if stream == "stdin":
            self.stdin_used += spent


def _part_that_fits(stream: str, data: str, room: int) -> Kept | None:
    """The longest start of `data` whose event's text is at most `room` bytes, if any.

    Cut between characters, never inside one: an escaped character is kept whole or not at all.
    """
    low, high = 0, len(data)  # the answer is in [low, high]
    while low < high:
        middle = (low + high + 1) // 2
        if len(encode({"type": stream, "data": data[:middle]})) <= room:
            low = middle
        else:
            high = middle - 1
    if low == 0:
        return None
    event = {"type": stream, "data": data[:low]}
    return Kept(event, encode(event))


def capped(events: list[Event], budget: SessionBudget) -> list[Event]:
    """The events of a transcript as `budget` keeps them (for streams stored before it)."""
    return [kept.event for event in events for kept in budget.admit(event)]


def page(events: list[Event], after: int, limit: int, max_bytes: int) -> tuple[list[Event], bool]:
    """Up to `limit` events after the first `after`, and whether more follow.

    A page stops before the event that would take its text past `max_bytes`, but always holds
    one event when one is left (a single event is never larger than a session's budget).
    """
    chosen: list[Event] = []
    size = 0
    for event in events[after:]:
        if len(chosen) == limit:
            break
        size += len(encode(event))
        if chosen and size > max_bytes:
            break
        chosen.append(event)
    return chosen, after + len(chosen) < len(events)
