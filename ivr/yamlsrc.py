"""YAML with source positions, so every error about a flow file can name its line and column.

``load_with_positions`` returns plain Python data (dicts, lists, scalars) plus a
``Positions`` map from a key path (``("nodes", "menu", "choices", "1")``) to the
line and column where that value starts. Duplicate keys are an error (PyYAML
silently keeps the last one, which hides mistakes in reviewed files).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Mark:
    """A 1-based line and column in a source file."""

    line: int
    column: int


@dataclass
class Positions:
    """Where each value of a loaded document starts."""

    marks: dict[Path, Mark] = field(default_factory=dict)

    def at(self, path: Path) -> Mark | None:
        """The position of ``path`` or of its nearest ancestor that has one."""
        while True:
            if path in self.marks:
                return self.marks[path]
            if not path:
                return None
            path = path[:-1]


class YamlSourceError(Exception):
    """The text is not well-formed YAML, or it repeats a key."""

    def __init__(self, message: str, mark: Mark | None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def _convert(node: yaml.Node, path: Path, positions: Positions, loader: yaml.SafeLoader) -> Any:
    positions.marks[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(loader.construct_object(key_node))
            if key in result:
                raise YamlSourceError(f"duplicate key {key!r}", _mark(key_node))
            result[key] = _convert(value_node, (*path, key), positions, loader)
            if isinstance(value_node, yaml.CollectionNode):
                # A block value starts on the next line; people look for the key.
                positions.marks[(*path, key)] = _mark(key_node)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), positions, loader) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def load_with_positions(text: str) -> tuple[Any, Positions]:
    """Parse one YAML document; raise ``YamlSourceError`` with the position of the fault."""
    positions = Positions()
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else None
        raise YamlSourceError(str(exc.problem or exc), where) from exc
    if node is None:
        return None, positions
    try:
        return _convert(node, (), positions, yaml.SafeLoader("")), positions
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else None
        raise YamlSourceError(str(exc.problem or exc), where) from exc
