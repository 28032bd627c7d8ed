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
