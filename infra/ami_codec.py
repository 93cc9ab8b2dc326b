"""Reading AMI events without panoramisk's per-header cost.

panoramisk turns every message into a ``Message``, a case-insensitive dict that lower-cases
each header name as it stores it and again at every lookup. A controller reads thousands of
events a second (a Hangup is about twenty headers), and that work was a tenth of its CPU.
`AmiEvent` is a ``Message`` that keeps the headers as they came and answers a lookup in
the spelling Asterisk uses ("Uniqueid") from a plain dict; any other spelling still works
(the case-insensitive index is built the first time one is asked for). Responses to actions
keep panoramisk's own parser (`read_message`). One difference: header names that differ
only in case (Asterisk sends none) stay apart here, where panoramisk keeps the last.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from panoramisk.message import Message

_MISSING: Any = object()


class AmiEvent(Message):  # type: ignore[misc]
    """An AMI event, with panoramisk ``Message``'s behaviour (case-insensitive lookups,
    attribute access, ``id``/``action_id``, multi-valued headers as lists)."""

    def __init__(self, headers: dict[str, Any],
                 ids: dict[str, Any] | None = None) -> None:  # noqa: D107 - see the class
        headers.setdefault("content", "")   # as panoramisk's Message(headers, content='')
        self._exact = headers
        self.manager = None
        # The headers a reply is matched by, in any spelling (`parse` finds them as it reads).
        self._ids = ids if ids is not None else {
            key.lower(): value for key, value in headers.items()
            if key.lower() in ("actionid", "commandid")}

    @classmethod
    def parse(cls, text: str) -> AmiEvent:
        """One event's text (header lines, no blank line)."""
        headers: dict[str, Any] = {}
        ids: dict[str, Any] = {}
        for line in text.split("\r\n"):
            key, sep, value = line.partition(": ")
            if not sep:
                continue
            if key[:1] in "RrAaCc":   # lower-case only the names that may matter
                lower = key.lower()
                if lower == "result":
                    value = unquote(value).strip()
                elif lower in ("actionid", "commandid"):
                    ids[lower] = value
            old = headers.get(key, _MISSING)
            if old is _MISSING:
                headers[key] = value
            elif isinstance(old, list):
                old.append(value)
            else:
                headers[key] = [old, value]
        return cls(headers, ids)

    @property
    def _store(self) -> dict[str, tuple[str, Any]]:
        """panoramisk's index (lower-case name -> (name, value)), built when first needed."""
        store: dict[str, tuple[str, Any]] | None = self.__dict__.get("_lower")
        if store is None:
            store = {key.lower(): (key, value) for key, value in self._exact.items()}
            self.__dict__["_lower"] = store
        return store

    def __getitem__(self, key: str) -> Any:
        value = self._exact.get(key, _MISSING)
        if value is _MISSING:
            return self._store[key.lower()][1]
        return value

    def get(self, key: str, default: Any = None) -> Any:
        value = self._exact.get(key, _MISSING)
        if value is _MISSING:
            found = self._store.get(key.lower())
            return default if found is None else found[1]
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._exact or (isinstance(key, str) and key.lower() in self._store)

    def __setitem__(self, key: str, value: Any) -> None:
        lower = key.lower()
        old = self._store.get(lower)
        if old is not None and old[0] != key:
            del self._exact[old[0]]
        self._exact[key] = value
        self._store[lower] = (key, value)
        if lower in ("actionid", "commandid"):
            self._ids[lower] = value

    def __iter__(self) -> Iterator[str]:
        return iter(self._exact)

    def __len__(self) -> int:
        return len(self._exact)

    @property
    def event(self) -> str:
        value = self._exact.get("Event", _MISSING)
        return str(self.get("event", "") if value is _MISSING else value)

    @property
    def id(self) -> Any:
        ids = self._ids
        return ids.get("commandid", ids.get("actionid")) if ids else None

    @property
    def action_id(self) -> Any:
        return self._ids.get("actionid") if self._ids else None


def read_message(text: str) -> Message | None:
    """One AMI message's text: an `AmiEvent` for an event, panoramisk's ``Message`` for a
    response (or None for text that is neither, as panoramisk)."""
    if text.startswith("Event: "):
        return AmiEvent.parse(text)
    return Message.from_line(text)
