"""Prompt texts: the `prompts:` mapping of the flow files, gathered and checked.

Flow files (`dialplans/*.yaml`) carry a top-level `prompts:` mapping of
`key -> {sv: text, en: text}`; the translators' ``prompts/<lang>/*.yaml`` add the other
languages (``ivr.translations``). `collect_prompt_texts` gathers them, and rejects,
all at once and each with file and line, a key that is not `[a-z0-9_-]+`, a text
that is not a string, a missing or unknown language, or one key with different
texts in two files; `validate_texts` checks texts given directly the same way.
Invariant: texts come back only when no problem was found, stripped and keyed
by a valid key and a known language. The base of the prompt errors lives here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

from ivr.nodes import FLOW_TEXT_LANGUAGES
from ivr.nodes import LANGUAGES as ALL_LANGUAGES
from ivr.translations import TRANSLATIONS_DIR, translations

#: Languages a prompt can be built in, in the order callers choose them.
LANGUAGES: Final = ALL_LANGUAGES
#: Languages a flow file writes its prompts in (the others: ``ivr.translations``).
FLOW_LANGUAGES: Final = FLOW_TEXT_LANGUAGES
KEY_PATTERN: Final = re.compile(r"[a-z0-9_-]+")


class PromptError(Exception):
    """Base of the prompt errors; the message is ready for an operator."""


@dataclass(frozen=True)
class TextProblem:
    """One thing wrong with the prompt texts, with the file and line it was found at."""

    place: str
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.place}: prompts.{self.key}" if self.key else self.place
        return f"{where}: {self.message}"


class PromptTextError(PromptError):
    """The prompt texts cannot be used; lists every problem found."""

    def __init__(self, problems: list[TextProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(map(str, self.problems)))


# --- collecting texts -----------------------------------------------------------------


def collect_prompt_texts(dialplans_dir: Path) -> dict[str, dict[str, str]]:
    """All prompt texts of the flow files in `dialplans_dir`: key -> language -> text."""
    texts: dict[str, dict[str, str]] = {}
    first_seen: dict[str, str] = {}
    problems: list[TextProblem] = []
    for path in sorted(dialplans_dir.glob("*.yaml")):
        for key, place, by_lang in _file_prompts(path, problems):
            if key not in texts:
                texts[key], first_seen[key] = by_lang, place
            elif texts[key] != by_lang:
                message = f"differs from the text at {first_seen[key]}"
                problems.append(TextProblem(place, key, message))
    if problems:
        raise PromptTextError(problems)
    _add_translations(dialplans_dir, texts)
    return texts


def _add_translations(dialplans_dir: Path, texts: dict[str, dict[str, str]]) -> None:
    """The translators' texts of known keys; `vaxel dialplan check` reports what is missing."""
    files = {p.relative_to(dialplans_dir).as_posix(): p.read_text(encoding="utf-8")
             for p in sorted(dialplans_dir.glob(f"{TRANSLATIONS_DIR}/*/*.yaml"))}
    for lang, by_key in translations(files).items():
        for key, text in by_key.items():
            if key in texts:
                texts[key][lang] = text


def _file_prompts(
    path: Path, problems: list[TextProblem]
) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(key, file:line, texts) of one flow file's well-formed prompts; the rest to `problems`."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        reason = getattr(exc, "problem", None) or one_line(exc)
        problems.append(TextProblem(place, "", f"cannot read the file: {reason}"))
        return
    prompts = _mapping_value(root, "prompts")
    if prompts is None or prompts.tag == "tag:yaml.org,2002:null":
        return  # no prompts, or an empty `prompts:`
    if not isinstance(prompts, yaml.MappingNode):
        problems.append(
            TextProblem(_place(path, prompts), "", "prompts: expected a mapping of keys")
        )
        return
    seen: set[str] = set()
    for key_node, value_node in prompts.value:
        key, place = str(key_node.value), _place(path, key_node)
        before = len(problems)
        if not KEY_PATTERN.fullmatch(key):
            problems.append(TextProblem(place, key, "a key may hold only a-z, 0-9, _ and -"))
        if key in seen:
            problems.append(TextProblem(place, key, "given twice in this file"))
        seen.add(key)
        by_lang, messages = _texts_of(value_node)
        problems.extend(TextProblem(place, key, message) for message in messages)
        if len(problems) == before:
            yield key, place, by_lang


def _texts_of(node: yaml.Node) -> tuple[dict[str, str], list[str]]:
    """The texts by language of one prompt, and what is wrong with them."""
    if not isinstance(node, yaml.MappingNode):
        return {}, [f"expected a mapping like {{sv: ..., en: ...}}, got {_node_kind(node)}"]
    by_lang: dict[str, str] = {}
    messages: list[str] = []
    for lang_node, text_node in node.value:
        lang = str(lang_node.value)
        if lang not in FLOW_LANGUAGES:
            messages.append(f"unknown language '{lang}'; expected {', '.join(FLOW_LANGUAGES)}"
                            f" (other languages: {TRANSLATIONS_DIR}/<lang>/)")
        elif not _is_string(text_node) or not str(text_node.value).strip():
            messages.append(
                f"{lang}: the text must be a non-empty string, got {_node_kind(text_node)}"
            )
        else:
            by_lang[lang] = str(text_node.value).strip()
    given = {str(lang_node.value) for lang_node, _ in node.value}
    messages.extend(f"no '{lang}' text" for lang in FLOW_LANGUAGES if lang not in given)
    return by_lang, messages


def _mapping_value(root: yaml.Node | None, name: str) -> yaml.Node | None:
    if not isinstance(root, yaml.MappingNode):
        return None  # the flow loader reports a file that is not a mapping
    return next((value for key, value in root.value if key.value == name), None)


def _is_string(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str"


def _node_kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        return repr(node.value) if node.value else "nothing"
    return "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"


def _place(path: Path, node: yaml.Node) -> str:
    return f"{path}:{node.start_mark.line + 1}"


def validate_texts(texts: Mapping[str, Mapping[str, str]]) -> None:
    """Raise PromptTextError naming every bad key, unknown language or empty text."""
    problems: list[TextProblem] = []
    for key, by_lang in texts.items():
        if not KEY_PATTERN.fullmatch(key):
            problems.append(TextProblem("texts", key, "a key may hold only a-z, 0-9, _ and -"))
        for lang, text in by_lang.items():
            if lang not in LANGUAGES:
                problems.append(TextProblem("texts", key, f"unknown language '{lang}'"))
            elif not isinstance(text, str) or not text.strip():
                problems.append(TextProblem("texts", key, f"{lang}: empty or not a string"))
    if problems:
        raise PromptTextError(problems)


def one_line(error: object) -> str:
    """The last non-blank line of an error message (a tool's or a parser's)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else ""
