"""`vaxel operator`: search, message and messages against real Redis, SQLite and SMTP."""

from __future__ import annotations

import pytest

from tests.integration.controller import seed_directory
from tests.switchboard.smtp import smtp_server
from vaxel.cli import main
from vaxel.testing.services import RedisServer, free_port


@pytest.fixture
def setup(tmp_path):
    url = f"sqlite:///{tmp_path / 'directory.db'}"
    seed_directory(url)
    with smtp_server() as inbox, RedisServer() as redis:
        def write_config(smtp_port: int) -> str:
            path = tmp_path / "vaxel.toml"
            path.write_text(f'[redis]\nurl = "{redis.url}"\n[directory]\nurl = "{url}"\n'
                            f'[smtp]\nport = {smtp_port}\nsender = "vaxel@stad.example"\n'
                            f'mail_domain = "stad.example"\n', encoding="utf-8")
            return str(path)
        yield inbox, inbox.port, write_config


def test_search_prints_the_extension_and_name(setup, capsys):
    *_, write_config = setup
    assert main(["operator", "search", "Ekström", "--config", write_config(25)]) == 0
    assert "4711  Anna Ekström" in capsys.readouterr().out


def test_message_is_mailed_to_the_employee_through_real_smtp(setup, capsys):
    inbox, port, write_config = setup
    rc = main(["operator", "message", "4711", "--from-number", "0701234567", "--callback",
               "--text", "Gäller bygglov", "--operator", "op1000", "--config", write_config(port)])
    assert rc == 0, capsys.readouterr()
    [mail] = inbox.mails
    assert mail["To"] == "Anna Ekström <anna.ekstrom@stad.example>"
    assert "Gäller bygglov" in mail.get_content()


def test_message_goes_to_the_address_the_directory_has_for_the_employee(
        setup, capsys, tmp_path):
    from dataclasses import replace

    from directory.api import Directory

    inbox, port, write_config = setup
    d = Directory.open(f"sqlite:///{tmp_path / 'directory.db'}")
    bjorn = d.employee_by_extension("4712")
    d.update_employee(replace(bjorn, email="bygglov.oberg@stad.example"))
    rc = main(["operator", "message", "4712", "--text", "Ring tillbaka", "--config",
               write_config(port)])
    assert rc == 0, capsys.readouterr()
    [mail] = inbox.mails
    assert mail["To"] == "Björn Öberg <bygglov.oberg@stad.example>"


def test_given_smtp_down_then_the_message_is_kept_listed_and_delivered_on_retry(setup, capsys):
    inbox, port, write_config = setup
    down = write_config(free_port())
    assert main(["operator", "message", "4712", "--text", "hej", "--config", down]) == 1
    assert "will retry" in capsys.readouterr().out
    assert main(["operator", "messages", "--config", down]) == 0
    out = capsys.readouterr().out
    assert "Björn Öberg" in out and "1 ej levererade (not delivered)" in out
    assert main(["operator", "messages", "--retry", "--config", write_config(port)]) == 0
    assert "0 ej levererade" in capsys.readouterr().out
    assert len(inbox.mails) == 1


def test_given_an_unknown_extension_then_message_is_a_user_error(setup, capsys):
    *_, write_config = setup
    assert main(["operator", "message", "4999", "--config", write_config(25)]) == 2
    assert "'4999'" in capsys.readouterr().err


def test_given_no_device_then_supervised_transfer_is_refused_before_connecting(setup, capsys):
    *_, write_config = setup
    assert main(["operator", "transfer", "PJSIP/x-1", "4711", "--config", write_config(25)]) == 2
    assert "--device" in capsys.readouterr().err


def test_search_and_messages_json_have_the_documented_fields(setup, capsys):
    """--json of `operator search` and `operator messages` against docs/cli-json.md."""
    import json

    from infra.paths import repo_root
    from vaxel.testing.cli_json import check_document, documented

    doc = documented(repo_root() / "docs" / "cli-json.md")
    *_, write_config = setup
    config = write_config(free_port())               # nobody listens: the message stays
    assert main(["operator", "search", "Ekström", "--config", config, "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["hits"][0]["unit"] == "Bygglovsenheten"
    assert check_document(found, doc["`vaxel operator search QUERY --json`"]) == []
    main(["operator", "message", "4712", "--text", "hej", "--config", config])
    capsys.readouterr()
    assert main(["operator", "messages", "--config", config, "--json"]) == 0
    pending = json.loads(capsys.readouterr().out)
    assert [m["recipient"] for m in pending["pending"]] == ["Björn Öberg"]
    assert check_document(pending, doc["`vaxel operator messages --json`"]) == []


def test_context_json_has_the_documented_fields(setup, capsys):
    import asyncio
    import json
    from datetime import UTC, datetime

    from infra.paths import repo_root
    from switchboard.context_store import CallContextStore
    from vaxel.testing.cli_json import check_document, documented

    *_, write_config = setup
    config = write_config(free_port())
    with open(config, encoding="utf-8") as toml:
        redis_url = toml.read().split('"')[1]

    async def record() -> None:
        store = CallContextStore.from_url(redis_url, None)
        try:
            await store.note_attempt("c1", "4711", "Anna Ekström", "NOANSWER", "",
                                     datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
        finally:
            await store.close()

    asyncio.run(record())
    assert main(["operator", "context", "c1", "--config", config, "--json"]) == 0
    ctx = json.loads(capsys.readouterr().out)
    assert [a["outcome"] for a in ctx["attempts"]] == ["noanswer"]
    doc = documented(repo_root() / "docs" / "cli-json.md")
    tables = doc["`vaxel operator context CALL_ID --json`"]
    assert check_document(ctx, tables) == []
