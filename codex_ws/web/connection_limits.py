"""Connection limits: how many connections one address may hold, and how long a request head
may take.

aiohttp's server closes a connection that has no whole request for its `keepalive_timeout`
(our idle timeout; counted from the opening and from each answer, an hour unless set), its only
bound on a request head, and takes any number of connections from one address: a thousand
half-sent requests then hold every file descriptor of the process. `GuardedSite` listens like
`web.TCPSite`, with each connection passing through a `GuardedConnection` in front of aiohttp's
own `RequestHandler`:

- a connection from an address that already holds `per_address` connections is answered with a
  fixed 429 at once and closed, before aiohttp builds anything for it;
- a request head (the first one from the moment the connection opens; a later one from its
  first byte) must be complete within `header_timeout` seconds, or the connection is closed.

Knowing where a head ends takes two attributes of aiohttp's `RequestHandler` that are not
public: `_request_count` (heads parsed so far) and `_waiter` (set while it waits for a
request, what its own keep-alive timer looks at). tests/unit/test_connection_limits.py fails if
either changes meaning.

The peer address is the TCP peer's: no header (`X-Forwarded-For`, `Forwarded`) is read. IPv6
addresses count per /64, the block one host usually holds.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import resource
from dataclasses import dataclass

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_server import Server

from ..errors import Code, ServiceError
from .middleware import error_response

log = logging.getLogger(__name__)

# What a refused client is told to wait: a few seconds, for some of its other connections to
# end.
REFUSED_RETRY_SECONDS = 5
REFUSALS_LOGGED_EVERY = 10.0


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """`per_address` 0: no cap."""

    header_timeout: float
    per_address: int


class AddressCounts:
    """The open connections of each address, and the refusal those over the cap get."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self.refusal = _refusal(limits.per_address)
        self._open: dict[str, int] = {}
        self._refused = 0  # since the last warning
        self._warned_at = -REFUSALS_LOGGED_EVERY

    def admit(self, address: str) -> bool:
        """Count one more connection of `address`, unless it holds its cap already."""
        held = self._open.get(address, 0)
        if self.limits.per_address and held >= self.limits.per_address:
            self._note_refusal(address)
            return False
        self._open[address] = held + 1
        return True

    def release(self, address: str) -> None:
        held = self._open.pop(address) - 1
        if held:
            self._open[address] = held

    def _note_refusal(self, address: str) -> None:
        """A warning at most every REFUSALS_LOGGED_EVERY seconds, however many come."""
        self._refused += 1
        now = asyncio.get_running_loop().time()
        if now - self._warned_at >= REFUSALS_LOGGED_EVERY:
            log.warning(
                "refused %d connection(s) over the cap of %d per address since the last such "
                "warning, the last from %s",
                self._refused,
                self.limits.per_address,
                address,
            )
            self._refused = 0
            self._warned_at = now


class GuardedConnection(asyncio.Protocol):
    """One TCP connection: admitted per address, then handed to aiohttp's `RequestHandler`,
    with a timer on each request head."""

    __slots__ = ("_address", "_counts", "_handler", "_head_timer", "_server")

    def __init__(self, server: Server, counts: AddressCounts) -> None:
        self._server = server
        self._counts = counts
        self._address = ""
        self._handler: RequestHandler | None = None
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        address = client_address(transport.get_extra_info("peername"))
        if not self._counts.admit(address):
            assert isinstance(transport, asyncio.WriteTransport)
            transport.write(self._counts.refusal)
            transport.close()
            return
        self._address = address
        self._handler = self._server()
        self._handler.connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        handler = self._handler
        if handler is None:
            return
        if self._head_timer is None and _between_requests(handler):
            self._arm()  # the first byte of a new request head
        heads = handler._request_count
        handler.data_received(data)
        if handler._request_count != heads and self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def eof_received(self) -> None:
        if self._handler is not None:
            self._handler.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        if self._handler is not None:
            self._counts.release(self._address)
            self._handler.connection_lost(exc)
            self._handler = None

    def pause_writing(self) -> None:
        if self._handler is not None:
            self._handler.pause_writing()

    def resume_writing(self) -> None:
        if self._handler is not None:
            self._handler.resume_writing()

    def _arm(self) -> None:
        loop = asyncio.get_running_loop()
        self._head_timer = loop.call_later(self._counts.limits.header_timeout, self._too_slow)

    def _too_slow(self) -> None:
        self._head_timer = None
        if self._handler is not None:
            log.debug("%s: no complete request head in time, closing", self._address)
            self._handler.force_close()


def _between_requests(handler: RequestHandler) -> bool:
    """Whether aiohttp waits for a request (none queued or being handled): the state its own
    keep-alive timer closes idle connections in."""
    waiter = handler._waiter
    return waiter is not None and not waiter.done()


class GuardedSite(web.BaseSite):
    """A TCP site whose connections go through `GuardedConnection`."""

    __slots__ = ("_counts", "_host", "_port")

    def __init__(
        self, runner: web.BaseRunner, host: str, port: int, limits: ConnectionLimits
    ) -> None:
        super().__init__(runner)
        self._host = host
        self._port = port
        self._counts = AddressCounts(limits)

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        counts = self._counts
        limits = counts.limits
        log.info(
            "connections: %s per address, request heads within %g s",
            f"at most {limits.per_address}" if limits.per_address else "any number",
            limits.header_timeout,
        )
        self._server = await asyncio.get_running_loop().create_server(
            lambda: GuardedConnection(server, counts),
            self._host,
            self._port,
            backlog=self._backlog,
        )


def client_address(peername: object) -> str:
    """The address a connection counts under: its IPv4 address, or its IPv6 /64."""
    if not isinstance(peername, tuple) or not peername:
        return "unknown"
    host = str(peername[0])
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _refusal(cap: int) -> bytes:
    """The whole answer to a connection over the cap, written before its request is read."""
    response = error_response(
        ServiceError(
            Code.RATE_LIMITED,
            f"Too many connections from your address (at most {cap} at once): close some, "
            "or wait for idle ones to end, then try again",
            retry_after=REFUSED_RETRY_SECONDS,
        )
    )
    body = response.body
    assert isinstance(body, bytes)
    lines = [
        f"HTTP/1.1 {response.status} {response.reason}",
        *(f"{name}: {value}" for name, value in response.headers.items()),
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + body


def raise_open_files_limit() -> None:
    """Raise the soft limit of open files to the hard one: every connection holds one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard in (soft, resource.RLIM_INFINITY):
        log.info("open files limit: %d", soft)
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError) as exc:
        log.warning("open files limit stays at %d: raising it to %d failed (%s)", soft, hard, exc)
        return
    log.info("open files limit raised from %d to %d (the hard limit)", soft, hard)
