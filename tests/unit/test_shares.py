"""Shares of the sandboxes and client addresses, and admission's own counts when Redis is away
(the same rules as in Redis: tests/api/test_shares.py holds those to a real server)."""

from __future__ import annotations

import pytest
import redis.asyncio as redis

from codex_ws.domain.addresses import network_of
from codex_ws.errors import Code, ServiceError
from codex_ws.settings import Settings, SettingsError, Share
from codex_ws.store.admission import Admission, Quota

ENV = {"CODEX_JWT_SECRET": "s" * 40}


def test_a_share_is_a_count_or_a_percentage_of_the_run_slots() -> None:
    settings = Settings.from_env(
        ENV | {"CODEX_MAX_SHARE_PER_ADDRESS": "4", "CODEX_ANONYMOUS_SHARE": "12.5%"}
    )
    assert settings.max_share_per_address == Share(count=4)
    assert (settings.max_share_per_address.of(100), settings.anonymous_share.of(100)) == (4, 12)
    assert Share(percent=25).of(2) == 1  # never none at all
    assert Share(percent=100).of(11) is None  # no cap at all
    assert Share(count=11).of(11) == 11
    defaults = Settings.from_env(ENV)
    assert (str(defaults.max_share_per_address), str(defaults.anonymous_share)) == ("50%", "25%")
    for bad in ("0", "0%", "150%", "half", "-3"):
        with pytest.raises(SettingsError, match="CODEX_ANONYMOUS_SHARE must be a count"):
            Settings.from_env(ENV | {"CODEX_ANONYMOUS_SHARE": bad})


def test_addresses_are_counted_by_ipv4_address_or_ipv6_network() -> None:
    assert network_of("203.0.113.7") == "203.0.113.7"
    assert network_of("::ffff:203.0.113.7") == "203.0.113.7"
    assert network_of("2001:db8:1:2:aaaa::1") == network_of("2001:db8:1:2:bbbb::2")
    assert network_of("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert network_of("2001:db8:1:3::1") != network_of("2001:db8:1:2::1")
    assert network_of(None) == "unknown"


def _quota(key: str, address: str, *, anonymous: bool = False, per_minute: int = 100) -> Quota:
    return Quota(key, per_minute, 2, address=address, anonymous=anonymous)


async def _refusal(admission: Admission, quota: Quota, **kwargs: int) -> str:
    with pytest.raises(ServiceError) as refused:
        async with admission.caller(quota, **kwargs):
            pass
    assert refused.value.code is Code.RATE_LIMITED
    assert refused.value.retry_after is not None
    return refused.value.message


async def test_without_redis_the_shares_are_kept_per_process() -> None:
    nowhere = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    admission = Admission(
        nowhere,
        max_containers=8,
        queue_wait_seconds=0.1,
        lease_seconds=60,
        owner="test",
        address_share=3,
        anonymous_share=1,
    )
    try:
        # A validation runs as many cases at once as the smallest of its sets allows.
        assert admission.most_at_once(_quota("user:a", "192.0.2.1")) == 2
        assert admission.most_at_once(_quota("ip:192.0.2.9", "192.0.2.9", anonymous=True)) == 1
        async with (
            admission.caller(_quota("user:a", "192.0.2.1")),
            admission.caller(_quota("user:b", "192.0.2.1"), containers=2),
        ):
            # The address holds its three: another account on it is refused, not one elsewhere.
            message = await _refusal(admission, _quota("user:c", "192.0.2.1"))
            assert "from your address already hold 3 sandboxes" in message
            async with admission.caller(_quota("ip:192.0.2.9", "192.0.2.9", anonymous=True)):
                message = await _refusal(
                    admission, _quota("ip:192.0.2.10", "192.0.2.10", anonymous=True)
                )
                assert "Anonymous runs already hold the 1 sandbox" in message
            # Two at once do not fit beside one run of an account that may have two.
            message = await _refusal(admission, _quota("user:a", "192.0.2.2"), containers=2)
            assert "may have 2 runs going at once, and this needs 2" in message
        # Every lease was given back.
        async with admission.caller(_quota("user:c", "192.0.2.1"), containers=2):
            pass
        # A cost counts that many runs, up to the whole minute.
        small = _quota("user:d", "192.0.2.3", per_minute=3)
        async with admission.caller(small, cost=50):
            pass
        assert "at most 3 a minute" in await _refusal(admission, small)
    finally:
        await nowhere.aclose()
