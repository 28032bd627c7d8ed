"""docs/openapi.yaml: served as is, valid OpenAPI 3.1, in step with the app's routes and answers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
import yaml
from aiohttp import web
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_spec

from codex_ws.routes.docs import OPENAPI_FILE

from .conftest import Account, Client

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


@cache
def document() -> dict[str, Any]:
    loaded = yaml.safe_load(OPENAPI_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def normalise(path: str) -> str:
    """`/api/exercises/{key}` and `/api/exercises/{id}` are the same route."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def app_routes(client: Client) -> set[tuple[str, str]]:
    routes = set()
    for route in client.app.router.routes():
        # `/static/` serves the pages' files, not an API: the pages themselves are documented.
        if route.method in IGNORED_METHODS or isinstance(route.resource, web.StaticResource):
            continue
        canonical = route.resource.canonical if route.resource is not None else ""
        # A collection is served with a trailing slash too (openapi's description says so).
        routes.add((route.method, normalise(canonical.rstrip("/") or "/")))
    return routes


def documented_routes() -> set[tuple[str, str]]:
    return {
        (method.upper(), normalise(path))
        for path, item in document()["paths"].items()
        for method in item
        if method in HTTP_METHODS and method.upper() not in IGNORED_METHODS
    }


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def resolve(node: Any) -> Any:
    """Follow a local `$ref` (fails when it points nowhere)."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"only local references are expected: {ref}"
        target: Any = document()
        for escaped in ref[2:].split("/"):
            part = escaped.replace("~1", "/").replace("~0", "~")
            assert isinstance(target, dict) and part in target, f"unresolved $ref {ref}"
            target = target[part]
        node = target
    return node


def references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def validator(schema: dict[str, Any]) -> OAS31Validator:
    """A validator for `schema` whose `#/components/...` references resolve in the document."""
    return OAS31Validator({**schema, "components": document()["components"]})


def response_schema(path: str, method: str, status: int) -> dict[str, Any]:
    responses = document()["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {path} does not document {status}"
    response = resolve(responses[str(status)])
    schema = response["content"]["application/json"]["schema"]
    assert isinstance(schema, dict)
    return schema


def assert_matches(body: Any, path: str, method: str, status: int) -> None:
    errors = sorted(validator(response_schema(path, method, status)).iter_errors(body), key=str)
    assert not errors, f"{method.upper()} {path} {status}: {[e.message for e in errors]}\n{body}"


# -- routes ------------------------------------------------------------------------------


async def test_every_route_of_the_app_is_documented(client: Client) -> None:
    missing = app_routes(client) - documented_routes()
    assert not missing, f"routes not described in docs/openapi.yaml: {sorted(missing)}"


async def test_the_document_describes_no_route_the_app_lacks(client: Client) -> None:
    extra = documented_routes() - app_routes(client)
    assert not extra, f"docs/openapi.yaml describes routes the app lacks: {sorted(extra)}"


def test_path_parameters_are_named_as_in_the_code() -> None:
    for path, item in document()["paths"].items():
        declared = {
            resolve(parameter)["name"]
            for parameter in item.get("parameters", [])
            if resolve(parameter)["in"] == "path"
        }
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            names = declared | {
                resolve(parameter)["name"]
                for parameter in operation.get("parameters", [])
                if resolve(parameter)["in"] == "path"
            }
            assert names == set(re.findall(r"\{([^}]*)\}", path)), (method, path)


# -- served ------------------------------------------------------------------------------


async def test_the_document_is_served_as_is(client: Client) -> None:
    response = await client.get("/api/openapi.yaml")
    text = await response.text()
    assert response.status == 200, text
    assert response.content_type == "application/yaml"
    assert text == OPENAPI_FILE.read_text(encoding="utf-8")
    served = yaml.safe_load(text)
    assert re.fullmatch(r"3\.1\.\d+", str(served["openapi"])), served["openapi"]


# -- valid -------------------------------------------------------------------------------


def test_the_document_is_valid_openapi() -> None:
    validate_spec(document())


def test_every_reference_resolves_and_every_operation_answers() -> None:
    for ref in set(references(document())):
        resolve({"$ref": ref})
    for path, method, operation in operations():
        assert operation.get("responses"), f"{method.upper()} {path} has no responses"
        assert operation.get("operationId"), f"{method.upper()} {path} has no operationId"


def test_every_error_response_is_the_error_shape() -> None:
    for path, method, operation in operations():
        for status, response in operation["responses"].items():
            if int(status) < 400 or (path, status) == ("/api/health", "503"):
                continue
            schema = resolve(response)["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
            if status == "429":
                assert "Retry-After" in resolve(response).get("headers", {}), (method, path)


def test_routes_that_take_a_token_document_401() -> None:
    schemes = document()["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == schemes["bearerAuth"] | {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    for path, method, operation in operations():
        security = operation.get("security", document().get("security", []))
        for requirement in security:
            assert set(requirement) <= set(schemes), (method, path, requirement)
        if "101" in operation["responses"]:  # a WebSocket: a bad token is close code 4001
            continue
        if security:  # required, or optional (`{}` listed): a bad token is a 401 either way
            assert "401" in operation["responses"], (method, path)


def test_examples_match_their_schemas() -> None:
    checked = 0
    for path, method, operation in operations():
        bodies = [operation.get("requestBody", {})]
        bodies += [resolve(r) for r in operation["responses"].values()]
        for body in bodies:
            for media_type in resolve(body).get("content", {}).values():
                if "schema" not in media_type:
                    continue
                samples = [media_type["example"]] if "example" in media_type else []
                samples += [resolve(e)["value"] for e in media_type.get("examples", {}).values()]
                for sample in samples:
                    errors = list(validator(media_type["schema"]).iter_errors(sample))
                    assert not errors, (method, path, [e.message for e in errors])
                    checked += 1
    assert checked >= 10


# -- in step with what the server answers ---------------------------------------------------


async def test_service_answers_match_the_document(client: Client) -> None:
    health = await client.get("/api/health")
    assert_matches(await health.json(), "/api/health", "get", health.status)
    languages = await client.get("/api/languages")
    assert_matches(await languages.json(), "/api/languages", "get", 200)


async def test_execute_answers_match_the_document(client: Client, student: Account) -> None:
    hola = {"language": "javascript", "code": 'console.log("Hola Mundo");'}
    response = await client.post("/api/execute", json=hola, headers=student.headers)
    body = await response.json()
    assert response.status == 200, body
    assert body["output"] == "Hola Mundo\n"
    assert_matches(body, "/api/execute", "post", 200)

    unknown = await client.post("/api/execute", json={"language": "cobol", "code": "x"})
    assert_matches(await unknown.json(), "/api/execute", "post", unknown.status)

    history = await client.get("/api/executions?limit=5", headers=student.headers)
    assert_matches(await history.json(), "/api/executions", "get", 200)
    assert (await history.json())["executions"][0]["id"] == body["executionId"]


async def test_auth_and_exercise_answers_match_the_document(
    client: Client, student: Account
) -> None:
    me = await client.get("/api/auth/me", headers=student.headers)
    assert_matches(await me.json(), "/api/auth/me", "get", 200)
    anonymous = await client.get("/api/auth/me")
    assert_matches(await anonymous.json(), "/api/auth/me", "get", anonymous.status)

    listed = await client.get("/api/exercises", headers=student.headers)
    exercises = (await listed.json())["exercises"]
    assert_matches(await listed.json(), "/api/exercises", "get", 200)
    assert exercises, "the seeded exercises are listed"
    detail = await client.get(f"/api/exercises/{exercises[0]['slug']}")
    assert_matches(await detail.json(), "/api/exercises/{key}", "get", 200)
    missing = await client.get("/api/exercises/no-such-exercise")
    assert_matches(await missing.json(), "/api/exercises/{key}", "get", missing.status)


@pytest.mark.parametrize(
    ("path", "method"),
    [("/api/exercises", "post"), ("/api/exercises/{key}", "put")],
)
async def test_students_are_refused_as_documented(
    client: Client, student: Account, path: str, method: str
) -> None:
    url = path.replace("{key}", "sum-two-numbers")
    response = await client.request(method, url, json={}, headers=student.headers)
    assert_matches(await response.json(), path, method, response.status)
    assert response.status == 403
