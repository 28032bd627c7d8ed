import pytest

from sandbox import (
    InvalidRequest,
    LanguageRegistry,
    LimitPolicy,
    LimitTooHigh,
    PayloadTooLarge,
    RequestedLimits,
)

PYTHON = LanguageRegistry().get("python")
JAVA = LanguageRegistry().get("java")


def test_defaults_come_from_the_language() -> None:
    limits = LimitPolicy().resolve(JAVA)
    assert (limits.timeout_ms, limits.memory_mb) == (JAVA.timeout_ms, JAVA.memory_mb)


def test_a_request_may_lower_a_limit() -> None:
    limits = LimitPolicy().resolve(PYTHON, RequestedLimits(timeout_ms=500, memory_mb=64))
    assert (limits.timeout_ms, limits.memory_mb) == (500, 64)


def test_a_request_above_the_maximum_is_refused_with_a_clear_message() -> None:
    with pytest.raises(LimitTooHigh, match=r"limits.timeoutMs is 999999; the server maximum is"):
        LimitPolicy().resolve(PYTHON, RequestedLimits(timeout_ms=999_999))
    with pytest.raises(LimitTooHigh):
        LimitPolicy(max_memory_mb=256).resolve(PYTHON, RequestedLimits(memory_mb=257))


def test_language_defaults_never_exceed_the_server_maximum() -> None:
    limits = LimitPolicy(max_memory_mb=100, max_timeout_ms=1000).resolve(JAVA)
    assert (limits.timeout_ms, limits.memory_mb) == (1000, 100)


@pytest.mark.parametrize("value", [0, -5, True, "100", 1.5])
def test_nonsense_limits_are_invalid(value: object) -> None:
    with pytest.raises(InvalidRequest):
        LimitPolicy().resolve(PYTHON, RequestedLimits(timeout_ms=value))  # type: ignore[arg-type]


def test_a_run_fed_up_front_has_no_idle_or_wall_limit() -> None:
    limits = LimitPolicy().resolve(PYTHON)
    assert (limits.live, limits.idle_ms, limits.wall_ms) == (False, None, None)
    with pytest.raises(InvalidRequest, match="live runs only"):
        LimitPolicy().resolve(PYTHON, RequestedLimits(idle_ms=5000))


def test_a_live_run_gets_the_server_idle_and_wall_limits_by_default() -> None:
    policy = LimitPolicy(live_idle_ms=60_000, live_wall_ms=600_000)
    limits = policy.resolve(PYTHON, live=True)
    assert limits.live
    assert (limits.timeout_ms, limits.idle_ms, limits.wall_ms) == (
        PYTHON.timeout_ms,
        60_000,
        600_000,
    )


def test_a_live_run_may_ask_for_less_idle_and_wall_time_never_more() -> None:
    policy = LimitPolicy(live_idle_ms=60_000, live_wall_ms=600_000)
    limits = policy.resolve(PYTHON, RequestedLimits(idle_ms=2000, wall_ms=3000), live=True)
    assert (limits.idle_ms, limits.wall_ms) == (2000, 3000)
    with pytest.raises(LimitTooHigh, match=r"limits.idleMs is 60001; the server maximum is 60000"):
        policy.resolve(PYTHON, RequestedLimits(idle_ms=60_001), live=True)
    with pytest.raises(LimitTooHigh, match=r"limits.wallMs is 600001"):
        policy.resolve(PYTHON, RequestedLimits(wall_ms=600_001), live=True)
    with pytest.raises(InvalidRequest, match=r"limits.idleMs must be at least 1000"):
        policy.resolve(PYTHON, RequestedLimits(idle_ms=999), live=True)


def test_the_longest_run_is_a_live_one_and_its_compile() -> None:
    policy = LimitPolicy(max_timeout_ms=30_000, live_wall_ms=600_000, compile_timeout_ms=20_000)
    assert policy.longest_run_ms == 620_000


def test_code_over_the_cap_is_too_large() -> None:
    policy = LimitPolicy(max_code_bytes=10)
    policy.check_payload("x" * 10, ())
    with pytest.raises(PayloadTooLarge, match="limit is 10 bytes"):
        policy.check_payload("é" * 6, ())


def test_arguments_are_bounded() -> None:
    policy = LimitPolicy(max_args=2)
    with pytest.raises(InvalidRequest):
        policy.check_payload("", ("a", "b", "c"))
    with pytest.raises(InvalidRequest):
        policy.check_payload("", ("a\0b",))


def test_stdin_over_the_cap_is_too_large() -> None:
    with pytest.raises(PayloadTooLarge):
        LimitPolicy(max_stdin_bytes=3).check_stdin(b"abcd")
