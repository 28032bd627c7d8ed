"""A run request is checked once, into a CheckedRun that holds everything the engine needs."""

from __future__ import annotations

import pytest

from sandbox import (
    Engine,
    InvalidRequest,
    LanguageRegistry,
    LimitPolicy,
    LimitTooHigh,
    PayloadTooLarge,
    RequestedLimits,
    RunStatus,
    UnknownLanguage,
    check_run,
)
from sandbox.engine import Build
from sandbox.framing import SourceFile

LANGUAGES = LanguageRegistry()
POLICY = LimitPolicy()
JAVA_CLASS = "public class Greeter {\n  public static void main(String[] a) {}\n}\n"


def test_a_request_is_resolved_once_into_what_the_engine_runs() -> None:
    run = check_run(LANGUAGES, POLICY, "Py", "print(1)\n", args=["a", "b c"], stdin=b"in")
    assert run.spec is LANGUAGES.get("python")
    assert (run.code, run.args, run.stdin) == ("print(1)\n", ("a", "b c"), b"in")
    assert run.limits == POLICY.resolve(run.spec)
    assert run.files == (SourceFile("main.py", b"print(1)\n"),)
    assert run.compile_argv == ()
    assert run.run_argv == ("python3", "-u", "/tmp/main.py", "a", "b c")
    assert run.warm_request == ("/tmp/main.py", "a", "b c")


def test_a_compiled_language_gets_its_file_named_and_its_compiler() -> None:
    run = check_run(LANGUAGES, POLICY, "java", JAVA_CLASS, limits=RequestedLimits(memory_mb=128))
    assert run.files == (SourceFile("Greeter.java", JAVA_CLASS.encode()),)
    assert run.compile_argv[0] == "javac" and run.compile_argv[-1] == "/tmp/Greeter.java"
    assert run.run_argv[-1] == "Greeter"
    assert run.warm_request == ("/tmp/Greeter.java", "Greeter")
    assert run.limits.memory_mb == 128


def test_other_stdin_keeps_the_program_as_checked() -> None:
    run = check_run(LANGUAGES, POLICY, "java", JAVA_CLASS)
    other = run.with_stdin(b"hidden case\n")
    assert other.stdin == b"hidden case\n"
    assert other == run.with_stdin(b"hidden case\n")
    assert (other.spec, other.files, other.limits, other.run_argv) == (
        run.spec,
        run.files,
        run.limits,
        run.run_argv,
    )


def test_an_unknown_language_is_a_clear_error() -> None:
    with pytest.raises(UnknownLanguage, match="Supported: csharp, java, javascript, python"):
        check_run(LANGUAGES, POLICY, "cobol", "DISPLAY 'HI'.")


def test_code_over_the_cap_is_refused() -> None:
    with pytest.raises(PayloadTooLarge, match="limit is 65536 bytes"):
        check_run(LANGUAGES, POLICY, "python", "#" * (64 * 1024 + 1))


def test_stdin_over_the_cap_is_refused() -> None:
    with pytest.raises(PayloadTooLarge, match="stdin is 11 bytes; the limit is 10 bytes"):
        check_run(LANGUAGES, LimitPolicy(max_stdin_bytes=10), "python", "", stdin=b"x" * 11)


def test_a_limit_above_the_maximum_is_refused() -> None:
    with pytest.raises(LimitTooHigh, match="memoryMb is 4096; the server maximum is 512"):
        check_run(LANGUAGES, POLICY, "python", "print(1)", limits=RequestedLimits(memory_mb=4096))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("ab", "args must be a list of strings"),
        ([1], "args must be a list of strings"),
        (["a\x00"], "Arguments cannot contain NUL characters"),
        (["a"] * 65, "At most 64 arguments are allowed, got 65"),
    ],
)
def test_bad_arguments_are_refused(args: list[str], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        check_run(LANGUAGES, POLICY, "python", "print(1)", args=args)


async def test_a_build_of_another_language_is_not_run() -> None:
    run = check_run(LANGUAGES, POLICY, "python", "print(1)")
    build = Build("java", RunStatus.OK, (), "", 0)
    with pytest.raises(InvalidRequest, match="Cannot run a ok build of java"):
        await Engine().start(run, build=build)  # refused before the engine is needed
