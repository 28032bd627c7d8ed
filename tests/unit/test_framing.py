from sandbox.framing import Marker, MarkerScanner, encode_frame

NONCE = "0123456789abcdef0123456789abcdef"


def marker(event: str) -> bytes:
    return b"\x1ecodex:" + NONCE.encode() + b":" + event.encode() + b"\n"


def test_frame_layout_is_length_prefixed() -> None:
    frame = encode_frame(NONCE, "Main.java", ["javac", "Main.java"], ["java", "Main"], b"a\0b\n")
    assert frame == (
        b"CODEX1\n"
        b"32\n" + NONCE.encode() + b"9\nMain.java"
        b"2\n5\njavac9\nMain.java"
        b"2\n4\njava4\nMain"
        b"4\na\0b\n"
    )


def test_frame_counts_bytes_not_characters() -> None:
    frame = encode_frame(NONCE, "main.py", [], ["python3"], "print('é')".encode())
    assert frame.endswith(b"11\nprint('\xc3\xa9')")


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
