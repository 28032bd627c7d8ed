import pytest

from sandbox.framing import (
    FrameError,
    Marker,
    MarkerScanner,
    SourceFile,
    decode_files,
    encode_frame,
)

NONCE = "0123456789abcdef0123456789abcdef"


def marker(event: str) -> bytes:
    return b"\x1ecodex:" + NONCE.encode() + b":" + event.encode() + b"\n"


def test_frame_layout_is_length_prefixed() -> None:
    files = [SourceFile("Main.java", b"a\0b\n")]
    frame = encode_frame(
        NONCE,
        "run",
        files,
        ["javac", "Main.java"],
        ["java", "Main"],
        warm_request=["/tmp/Main.java", "Main"],
    )
    assert frame == (
        b"CODEX3\n"
        b"32\n" + NONCE.encode() + b"3\nrun"
        b"0\n"
        b"1\n9\nMain.java4\na\0b\n"
        b"2\n5\njavac9\nMain.java"
        b"2\n4\njava4\nMain"
        b"2\n14\n/tmp/Main.java4\nMain"
    )


def test_frame_carries_the_cpu_budget_after_the_mode() -> None:
    frame = encode_frame(NONCE, "run", [SourceFile("main.py", b"")], [], ["py"], cpu_ms=10_000)
    assert frame.startswith(b"CODEX3\n32\n" + NONCE.encode() + b"3\nrun10000\n1\n")


def test_frame_counts_bytes_not_characters() -> None:
    frame = encode_frame(NONCE, "run", [SourceFile("main.py", "print('é')".encode())], [], ["py"])
    assert frame.endswith(b"11\nprint('\xc3\xa9')0\n1\n2\npy0\n")


def test_artifact_listings_decode_exactly() -> None:
    listing = b"2\n10\nMain.class3\n\x00\x01\n16\nMain$Inner.class0\n"
    assert decode_files(listing) == (
        SourceFile("Main.class", b"\x00\x01\n"),
        SourceFile("Main$Inner.class", b""),
    )
    assert decode_files(b"0\n") == ()


@pytest.mark.parametrize("listing", [b"", b"1\n", b"1\n4\nab", b"1\n1\na1\nbEXTRA", b"x\n"])
def test_broken_artifact_listings_are_refused(listing: bytes) -> None:
    with pytest.raises(FrameError):
        decode_files(listing)


def test_scanner_separates_markers_from_output() -> None:
    scanner = MarkerScanner(NONCE)
    items = scanner.feed(b"warning: x\n" + marker("compile_error 1") + b"tail")
    assert items == [b"warning: x\n", Marker("compile_error", "1"), b"tail"]


def test_scanner_joins_a_marker_split_across_chunks() -> None:
    whole = b"err" + marker("run") + b"after"
    scanner = MarkerScanner(NONCE)
    items: list[bytes | Marker] = []
    for i in range(len(whole)):
        items += scanner.feed(whole[i : i + 1])
    items.append(scanner.rest())
    text = b"".join(i for i in items if isinstance(i, bytes))
    assert [i for i in items if isinstance(i, Marker)] == [Marker("run")]
    assert text == b"errafter"


def test_scanner_ignores_a_marker_with_another_nonce() -> None:
    forged = b"\x1ecodex:" + b"f" * 32 + b":run\n"
    scanner = MarkerScanner(NONCE)
    items = [*scanner.feed(forged), scanner.rest()]
    assert not any(isinstance(i, Marker) for i in items)
    assert b"".join(i for i in items if isinstance(i, bytes)) == forged


def test_scanner_passes_plain_record_separators_through() -> None:
    scanner = MarkerScanner(NONCE)
    assert b"".join(i for i in scanner.feed(b"a\x1eb\n") if isinstance(i, bytes)) == b"a\x1eb\n"
