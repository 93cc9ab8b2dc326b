"""A unit's answering group strategy ("svarsgrupp"): set through the API and `vaxel directory
answering`, recorded in the history, refused with a clear error when unknown."""

from __future__ import annotations

from pathlib import Path

import pytest

from directory.entities import AnswerStrategy
from directory.errors import InvalidEntity, NotFound
from directory.store import Directory
from vaxel.cli import main


@pytest.fixture
def directory(tmp_path: Path) -> Directory:
    d = Directory.open(f"sqlite:///{tmp_path / 'dir.db'}")
    d.create_schema()
    d.add_unit("bygglov", "Bygglovsenheten")
    return d


def test_given_unit_when_strategy_set_then_stored_and_in_history(directory: Directory) -> None:
    assert directory.unit("bygglov").answer_strategy is AnswerStrategy.RING_ALL  # type: ignore[union-attr]
    changed = directory.set_unit_answer_strategy("bygglov", "longest_idle", actor="admin1")
    assert changed.answer_strategy is AnswerStrategy.LONGEST_IDLE
    assert directory.unit("bygglov").answer_strategy is AnswerStrategy.LONGEST_IDLE  # type: ignore[union-attr]
    [entry, *_] = directory.history("bygglov")
    assert (entry.actor, entry.action) == ("admin1", "updated")
    assert entry.changes == {"answer_strategy": ["ring_all", "longest_idle"]}


def test_given_same_strategy_again_then_no_history_line(directory: Directory) -> None:
    before = len(directory.history("bygglov"))
    directory.set_unit_answer_strategy("bygglov", AnswerStrategy.RING_ALL)
    assert len(directory.history("bygglov")) == before


def test_given_unknown_strategy_or_unit_then_nothing_changes(directory: Directory) -> None:
    with pytest.raises(InvalidEntity, match="unit answering strategy: unknown strategy 'random'"):
        directory.set_unit_answer_strategy("bygglov", "random")
    with pytest.raises(NotFound, match="nowhere"):
        directory.set_unit_answer_strategy("nowhere", "in_order")
    assert directory.unit("bygglov").answer_strategy is AnswerStrategy.RING_ALL  # type: ignore[union-attr]


def test_cli_sets_the_strategy_and_refuses_an_unknown_unit(
    directory: Directory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'dir.db'}"
    assert main(["directory", "answering", "bygglov", "in_order", "--url", url]) == 0
    assert "Bygglovsenheten: svarsgrupp / answering group in_order" in capsys.readouterr().out
    assert directory.unit("bygglov").answer_strategy is AnswerStrategy.IN_ORDER  # type: ignore[union-attr]
    assert main(["directory", "answering", "nowhere", "in_order", "--url", url]) == 2
    assert "no unit 'nowhere'" in capsys.readouterr().err
