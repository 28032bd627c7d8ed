import pytest

from codex_ws.settings import Secret, Settings, SettingsError


def test_production_refuses_to_start_without_a_jwt_secret() -> None:
    with pytest.raises(SettingsError, match="CODEX_JWT_SECRET is not set"):
        Settings.from_env({})


def test_development_runs_with_a_throwaway_secret(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings.from_env({"CODEX_ENV": "development"})
    assert len(settings.jwt_secret) >= 32
    assert "will not survive a restart" in caplog.text


def test_a_short_secret_is_refused_outside_development() -> None:
    with pytest.raises(SettingsError, match="too short"):
        Settings.from_env({"CODEX_JWT_SECRET": "short"})


def test_values_are_read_and_checked() -> None:
    settings = Settings.from_env(
        {
            "CODEX_JWT_SECRET": "s" * 40,
            "CODEX_PORT": "8080",
            "CODEX_ALLOW_ANONYMOUS": "false",
            "CODEX_MAX_TIMEOUT_MS": "5000",
            "CODEX_TEACHER_CODE": "apple",
        }
    )
    assert (settings.port, settings.allow_anonymous) == (8080, False)
    assert settings.policy.max_timeout_ms == 5000
    assert settings.teacher_code == "apple"
    with pytest.raises(SettingsError, match="CODEX_PORT must be an integer"):
        Settings.from_env({"CODEX_JWT_SECRET": "s" * 40, "CODEX_PORT": "eighty"})
    with pytest.raises(SettingsError, match="CODEX_ALLOW_ANONYMOUS must be true or false"):
        Settings.from_env({"CODEX_JWT_SECRET": "s" * 40, "CODEX_ALLOW_ANONYMOUS": "maybe"})


def test_secrets_never_show_in_a_repr() -> None:
    settings = Settings.from_env(
        {
            "CODEX_JWT_SECRET": "very-secret-value-" * 3,
            "CODEX_DATABASE_URL": "postgresql://u:hunter2@db/x",
        }
    )
    assert "very-secret-value" not in repr(settings)
    assert "hunter2" not in repr(settings)
    assert repr(Secret("x")) == "Secret('**********')"


def test_the_container_cap_leaves_room_for_runs_beside_the_warm_pool() -> None:
    env = {"CODEX_JWT_SECRET": "s" * 40, "CODEX_MAX_CONTAINERS": "5"}
    with pytest.raises(SettingsError, match=r"CODEX_MAX_CONTAINERS \(5\) must be more than"):
        Settings.from_env(env | {"CODEX_POOL": "python=3,java=2"})
    assert Settings.from_env(env | {"CODEX_POOL": "python=4"}).max_containers == 5


def test_the_shutdown_grace_period_is_read() -> None:
    env = {"CODEX_JWT_SECRET": "s" * 40}
    assert Settings.from_env(env).shutdown_grace_seconds == 10.0
    settings = Settings.from_env(env | {"CODEX_SHUTDOWN_GRACE_SECONDS": "2.5"})
    assert settings.shutdown_grace_seconds == 2.5


def test_an_empty_pool_means_no_warm_containers() -> None:
    env = {"CODEX_JWT_SECRET": "s" * 40}
    assert Settings.from_env(env | {"CODEX_POOL": ""}).pool_sizes == {}
    assert Settings.from_env(env).pool_sizes == {
        "python": 2,
        "javascript": 1,
        "java": 1,
        "csharp": 1,
    }


def test_lowercase_log_levels_and_decimal_minimums() -> None:
    env = {"CODEX_JWT_SECRET": "s" * 40}
    assert Settings.from_env(env | {"CODEX_LOG_LEVEL": "warning"}).log_level == "WARNING"
    with pytest.raises(SettingsError, match="CODEX_LOG_LEVEL must be one of"):
        Settings.from_env(env | {"CODEX_LOG_LEVEL": "loud"})
    with pytest.raises(SettingsError, match="CODEX_POOL_MAX_AGE_SECONDS must be at least 1"):
        Settings.from_env(env | {"CODEX_POOL_MAX_AGE_SECONDS": "0"})


def test_the_body_cap_admits_the_largest_code_and_stdin() -> None:
    env = {"CODEX_JWT_SECRET": "s" * 40}
    with pytest.raises(SettingsError, match="CODEX_MAX_BODY_BYTES"):
        Settings.from_env(env | {"CODEX_MAX_BODY_BYTES": "65536"})
