import pytest

from sandbox import LanguageRegistry, UnknownLanguage


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("python", "python"),
        ("py", "python"),
        ("Python3", "python"),
        ("js", "javascript"),
        ("node", "javascript"),
        ("java", "java"),
        ("cs", "csharp"),
        ("C#", "csharp"),
    ],
)
def test_ids_and_aliases_resolve(name: str, language: str) -> None:
    assert LanguageRegistry().get(name).id == language


def test_unknown_language_lists_what_is_supported() -> None:
    with pytest.raises(UnknownLanguage) as caught:
        LanguageRegistry().get("cobol")
    assert caught.value.message == (
        "Unknown language 'cobol'. Supported: csharp, java, javascript, python"
    )


def test_java_source_is_named_after_its_public_class() -> None:
    java = LanguageRegistry().get("java")
    file_name, compile_argv, run_argv = java.commands(
        "import java.util.*;\npublic final class Hello {\n}\n", ["a b"]
    )
    assert file_name == "Hello.java"
    assert compile_argv[-1] == "/tmp/Hello.java"
    assert run_argv[-2:] == ("Hello", "a b")


def test_java_without_a_public_class_is_main() -> None:
    assert LanguageRegistry().get("java").source_name("class X {}") == "Main.java"


def test_interpreted_languages_have_no_compile_step() -> None:
    registry = LanguageRegistry()
    assert not registry.get("python").compiled
    assert registry.get("csharp").compiled
