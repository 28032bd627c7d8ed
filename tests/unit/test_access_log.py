import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from codex_ws.web.access_log import AccessLogger, redacted_target


def test_tokens_never_reach_the_log(caplog: pytest.LogCaptureFixture) -> None:
    request = make_mocked_request("GET", "/ws/run?token=eyJhbGciOi.secret.sig&x=1")
    assert "secret" not in redacted_target(request)
    assert "x=1" in redacted_target(request)
    logger = logging.getLogger("test.access")
    with caplog.at_level(logging.INFO, logger="test.access"):
        AccessLogger(logger, "").log(request, web.Response(status=101), 0.002)
    assert "secret" not in caplog.text
    assert "GET /ws/run?" in caplog.text and "token=***" in caplog.text


def test_other_requests_are_logged_as_they_are() -> None:
    request = make_mocked_request("GET", "/api/executions?limit=5")
    assert redacted_target(request) == "/api/executions?limit=5"
