"""Finnish as a third language: the translators' folder, its checks, the build's texts, a call."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from zoneinfo import ZoneInfo

from infra.paths import repo_root
from ivr.flow import read_folder
from ivr.flowset import load_set
from ivr.lint import check_files
from ivr.prompt_texts import collect_prompt_texts
from ivr.simulate import simulate
from ivr.translations import translation_findings

STHLM = ZoneInfo("Europe/Stockholm")
FOLDER = repo_root() / "dialplans"
TODAY = date(2026, 11, 24)


def test_shipped_flows_have_every_prompt_in_finnish():
    files = read_folder(FOLDER)
    assert [f for f in translation_findings(files, "dialplans") if f.severity == "error"] == []


def test_given_a_finnish_line_removed_then_dialplan_check_names_the_prompt_and_the_file(tmp_path):
    folder = tmp_path / "dialplans"
    shutil.copytree(FOLDER, folder, ignore=shutil.ignore_patterns("recordings"))
    fi = folder / "prompts" / "fi" / "city-main.yaml"
    fi.write_text("".join(line for line in fi.read_text("utf-8").splitlines(keepends=True)
                          if not line.startswith("to_operator:")), "utf-8")
    findings = [f for f in check_files(read_folder(folder), str(folder), TODAY)
                if f.code == "missing-translation"]
    assert [str(f) for f in findings] == [
        f"{folder}/city-main.yaml:{_line_of(folder / 'city-main.yaml', '  to_operator:')}: "
        "error: prompt 'to_operator' has no 'fi' text; add it to prompts/fi/city-main.yaml "
        "[missing-translation]"]


def test_given_a_stray_finnish_key_then_a_warning_with_its_line(tmp_path):
    folder = tmp_path / "dialplans"
    shutil.copytree(FOLDER, folder, ignore=shutil.ignore_patterns("recordings"))
    fi = folder / "prompts" / "fi" / "direct.yaml"
    fi.write_text(fi.read_text("utf-8") + "tervetuloa: Hei.\n", "utf-8")
    findings = [f for f in check_files(read_folder(folder), str(folder), TODAY)
                if f.code == "unused-translation"]
    assert len(findings) == 1 and findings[0].severity == "warning"
    assert findings[0].file.endswith("prompts/fi/direct.yaml") and "tervetuloa" in str(findings[0])


def test_given_a_flow_set_without_finnish_then_no_finnish_is_asked_for(tmp_path):
    folder = tmp_path / "dialplans"
    folder.mkdir()
    (folder / "one.yaml").write_text(
        "flow: one\nstart: a\nprompts:\n  p: {sv: Hej då., en: Goodbye.}\n"
        "nodes:\n  a: {kind: hangup, prompt: p}\n", "utf-8")
    assert not [f for f in check_files(read_folder(folder), str(folder), TODAY)
                if "translation" in f.code]


def test_prompt_build_texts_carry_finnish_from_the_folder():
    texts = collect_prompt_texts(FOLDER)
    assert texts["main_menu"]["fi"].startswith("Jos tiedät etsimäsi henkilön alanumeron, paina 1.")
    assert texts["queue_place_5"]["fi"] == "Olet jonossa viidentenä."
    assert all(set(by_lang) == {"sv", "en", "fi"} for by_lang in texts.values())


def test_given_8_then_the_caller_hears_finnish_and_the_closed_hours_in_finnish():
    result = simulate(load_set(FOLDER), "4000", ["8"], datetime(2026, 4, 30, 14, tzinfo=STHLM))
    assert result.heard[-3:] == [
        "Vaihde on nyt suljettu.",
        "Tänään on vapunaatto. Tänään olemme avoinna kello 8–13. "
        "Avaamme taas maanantaina 4. toukokuuta kello 8.",
        "Jos kyse on hengestä tai terveydestä, soita 112. "
        "Sosiaalipäivystykseen, soita 08 508 400 00. Näkemiin."]


def _line_of(path, start: str) -> int:
    lines = path.read_text("utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(start))


def test_announcement_in_finnish_when_written_else_the_swedish():
    from ivr.announcements import parse_announcements, text_now

    anns = parse_announcements(
        "announcements:\n"
        "  a: {sv: Driftstörning., en: Disruption., fi: Häiriö.}\n"
        "  b: {sv: Stormvarning., en: Storm warning.}\n", "announcements.yaml")
    now = datetime(2026, 12, 1, 10, tzinfo=STHLM)
    assert text_now(anns, "a", now, "fi") == "Häiriö."
    assert text_now(anns, "b", now, "fi") == "Stormvarning."
