"""Prompt texts a translator adds: ``dialplans/prompts/<lang>/*.yaml``, read and checked (pure).

Flow files carry their prompts in Swedish and English (``FLOW_TEXT_LANGUAGES``). Every
other language a caller can choose (Finnish) has a folder of its own, which a
translator fills without reading a flow: ``prompts/fi/city-main.yaml`` holds
``key: text`` lines for the prompts of ``city-main.yaml``. The functions take the
files of a dialplans set (name -> text, as ``ivr.flow.read_folder`` gives them, the
translations under their path ``prompts/<lang>/<file>``), so the same check runs on a
folder and on a deployed version. `translation_findings` reports a prompt without a
text in a language (an error: `vaxel dialplan check` catches it, a caller never
meets it) and a translated key no prompt has (a warning). Invariant: no file I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final

import yaml

from ivr.nodes import FLOW_TEXT_LANGUAGES, LANGUAGES

#: The folder (inside dialplans/) that holds one folder per translated language.
TRANSLATIONS_DIR: Final = "prompts"
#: Languages whose texts come from a translator's folder.
TRANSLATED_LANGUAGES: Final = tuple(lang for lang in LANGUAGES if lang not in FLOW_TEXT_LANGUAGES)
_KEY: Final = re.compile(r"[a-z0-9_-]+")
_SIDE_FILES: Final = frozenset({"targets.yaml", "announcements.yaml"})


@dataclass(frozen=True)
class TranslationFinding:
    """One problem of the translations, placed at a file and line."""

    file: str
    line: int | None
    severity: str
    code: str
    message: str


@dataclass(frozen=True)
class PromptKey:
    """A prompt key as a flow file (or a ``prompts-*.yaml``) defines it."""

    key: str
    file: str
    line: int


def prompt_keys(files: Mapping[str, str]) -> dict[str, PromptKey]:
    """Every prompt key of the flow and prompt files of a set, with where it is defined.

    Files that do not parse are skipped: the flow loader reports them.
    """
    keys: dict[str, PromptKey] = {}
    for name, text in sorted(files.items()):
        if "/" in name or name in _SIDE_FILES:
            continue
        for key, line in _mapping_keys(_section(text, "prompts")):
            keys.setdefault(key, PromptKey(key, name, line))
    return keys


def translations(files: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """language -> key -> text, from the well-formed entries of every translation file."""
    out: dict[str, dict[str, str]] = {lang: {} for lang in TRANSLATED_LANGUAGES}
    for lang, _name, root in _translation_roots(files):
        for key_node, value_node in _pairs(root):
            if _is_text(value_node) and lang in out:
                out[lang].setdefault(str(key_node.value), str(value_node.value).strip())
    return out


def offered_languages(files: Mapping[str, str], chosen: Iterable[str]) -> frozenset[str]:
    """The translated languages a set must have every prompt in: those a flow lets callers
    choose (``chosen``: the languages of its ``set_language`` nodes) and those with a folder."""
    folders = {lang for name in files if (lang := _language_of(name)) is not None}
    return frozenset(lang for lang in TRANSLATED_LANGUAGES if lang in folders | set(chosen))


def translation_findings(files: Mapping[str, str], where: str,
                         required: Iterable[str] = TRANSLATED_LANGUAGES
                         ) -> list[TranslationFinding]:
    """Missing texts in the `required` languages (errors), stray keys and malformed entries
    of the translation folders."""
    findings: list[TranslationFinding] = []

    def place(name: str) -> str:
        return f"{where.rstrip('/')}/{name}" if where else name

    keys = prompt_keys(files)
    seen: dict[str, set[str]] = {lang: set() for lang in TRANSLATED_LANGUAGES}
    for name in sorted(files):
        lang = _language_of(name)
        if lang is not None and lang not in TRANSLATED_LANGUAGES:
            findings.append(TranslationFinding(
                place(name), 1, "error", "translation",
                f"no language {lang!r}; a translation folder is one of "
                f"{', '.join(TRANSLATED_LANGUAGES)}"))
    for lang, name, root in _translation_roots(files):
        if lang not in TRANSLATED_LANGUAGES:
            continue
        if root is not None and not isinstance(root, yaml.MappingNode):
            findings.append(TranslationFinding(place(name), 1, "error", "translation",
                                               "expected lines of the form  key: text"))
            continue
        for key_node, value_node in _pairs(root):
            key, line = str(key_node.value), key_node.start_mark.line + 1
            if not _is_text(value_node):
                findings.append(TranslationFinding(place(name), line, "error", "translation",
                                                   f"{key}: the text must be a sentence"))
            elif key not in keys:
                findings.append(TranslationFinding(
                    place(name), line, "warning", "unused-translation",
                    f"{key}: no flow has a prompt of that name (a typo, or a removed prompt)"))
            elif key in seen[lang]:
                findings.append(TranslationFinding(place(name), line, "error", "translation",
                                                   f"{key}: translated twice"))
            seen[lang].add(key)
    for lang in sorted(set(required) & set(TRANSLATED_LANGUAGES)):
        for key in sorted(set(keys) - seen[lang]):
            where_key = keys[key]
            findings.append(TranslationFinding(
                place(where_key.file), where_key.line, "error", "missing-translation",
                f"prompt {key!r} has no {lang!r} text; add it to "
                f"{TRANSLATIONS_DIR}/{lang}/{where_key.file}"))
    return findings


# --- reading YAML with lines ------------------------------------------------------------


def _language_of(name: str) -> str | None:
    parts = name.split("/")
    return parts[1] if len(parts) == 3 and parts[0] == TRANSLATIONS_DIR else None


def _translation_roots(files: Mapping[str, str]) -> Iterator[tuple[str, str, yaml.Node | None]]:
    for name, text in sorted(files.items()):
        lang = _language_of(name)
        if lang is not None:
            yield lang, name, _compose(text)


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return yaml.ScalarNode("tag:yaml.org,2002:str", "")  # reported as not a mapping


def _section(text: str, name: str) -> yaml.Node | None:
    root = _compose(text)
    if not isinstance(root, yaml.MappingNode):
        return None
    return next((value for key, value in root.value if key.value == name), None)


def _pairs(node: yaml.Node | None) -> list[tuple[yaml.Node, yaml.Node]]:
    return list(node.value) if isinstance(node, yaml.MappingNode) else []


def _mapping_keys(node: yaml.Node | None) -> Iterator[tuple[str, int]]:
    for key_node, _ in _pairs(node):
        key = str(key_node.value)
        if _KEY.fullmatch(key):
            yield key, key_node.start_mark.line + 1


def _is_text(node: yaml.Node) -> bool:
    return (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str"
            and bool(str(node.value).strip()))
