"""Prompt texts from flow files, and sound files built with the real espeak-ng and sox."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from ivr.prompt_plan import BuildPlan, Step, plan_build, text_fingerprint
from ivr.prompt_texts import PromptTextError, collect_prompt_texts
from ivr.prompts import PromptBuildError, build_prompts
from vaxel.cli import main

FLOW = """\
name: city-main
prompts:
  welcome:
    sv: Välkommen till stadens växel.
    en: Welcome to the city switchboard.
  menu:
    sv: Tryck ett för att nå en person.
    en: Press one to reach a person.
"""

OTHER_FLOW = """\
name: schools
prompts:
  welcome:
    sv: Välkommen till stadens växel.
    en: Welcome to the city switchboard.
  schools:
    sv: Du har kommit till skolor och förskolor.
    en: You have reached schools and preschools.
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def soxi(path: Path, flag: str) -> str:
    return subprocess.run(
        ["soxi", flag, str(path)], capture_output=True, text=True, check=True
    ).stdout.strip()


def record(path: Path, seconds: float, frequency: int = 440) -> Path:
    """A 'recording': a sine tone at 44.1 kHz stereo, so conversion is needed and visible."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "sox",
            "-n",
            "-r",
            "44100",
            "-c",
            "2",
            str(path),
            "synth",
            str(seconds),
            "sine",
            str(frequency),
        ],
        check=True,
    )
    return path


@pytest.fixture
def dirs(tmp_path: Path):
    dialplans, out, recorded = tmp_path / "dialplans", tmp_path / "out", tmp_path / "recorded"
    write(dialplans / "city-main.yaml", FLOW)
    write(dialplans / "schools.yaml", OTHER_FLOW)
    return dialplans, out, recorded


# --- collecting texts -----------------------------------------------------------------


def test_texts_of_all_flow_files_are_merged_by_key(dirs) -> None:
    dialplans, _, _ = dirs
    write(dialplans / "no-prompts.yaml", "name: empty\n")
    write(dialplans / "empty-prompts.yaml", "name: empty\nprompts:\n")
    write(dialplans / "notes.txt", "prompts: {x: {sv: a, en: b}}\n")  # not a flow file
    texts = collect_prompt_texts(dialplans)
    assert sorted(texts) == ["menu", "schools", "welcome"]
    assert texts["welcome"] == {
        "sv": "Välkommen till stadens växel.",
        "en": "Welcome to the city switchboard.",
    }


@pytest.mark.parametrize(
    ("flow", "message"),
    [
        ("prompts:\n  Welcome:\n    sv: Hej\n    en: Hi\n", "x.yaml:2: prompts.Welcome: a key may"),
        ("prompts:\n  hej:\n    sv: 42\n    en: Hi\n", "x.yaml:2: prompts.hej: sv: the text must"),
        ("prompts:\n  hej:\n    sv: Hej\n", "x.yaml:2: prompts.hej: no 'en' text"),
        ("prompts:\n  hej:\n    sv: Hej\n    en: Hi\n    de: Hallo\n", "unknown language 'de'"),
        ("prompts:\n  hej: Hej\n", "x.yaml:2: prompts.hej: expected a mapping like"),
        ("prompts:\n  - hej\n", "x.yaml:2: prompts: expected a mapping of keys"),
        (
            "prompts:\n  a:\n    sv: A\n    en: A\n  a:\n    sv: B\n    en: B\n",
            "x.yaml:5: prompts.a: given twice in this file",
        ),
        ("prompts:\n  a: {sv: A, en: [A]\n", "x.yaml:3: cannot read the file"),
    ],
    ids=[
        "key",
        "not-a-string",
        "missing-lang",
        "unknown-lang",
        "not-mapping",
        "list",
        "twice",
        "syntax",
    ],
)
def test_bad_prompt_text_is_rejected_naming_file_line_and_key(tmp_path, flow, message) -> None:
    write(tmp_path / "x.yaml", flow)
    with pytest.raises(PromptTextError) as caught:
        collect_prompt_texts(tmp_path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(tmp_path / "x.yaml"))


def test_one_key_with_different_texts_in_two_files_names_both_places(dirs) -> None:
    dialplans, _, _ = dirs
    write(dialplans / "zz-late.yaml", "prompts:\n  menu:\n    sv: Annan text.\n    en: Other.\n")
    with pytest.raises(PromptTextError) as caught:
        collect_prompt_texts(dialplans)
    assert str(caught.value) == (
        f"{dialplans / 'zz-late.yaml'}:2: prompts.menu: "
        f"differs from the text at {dialplans / 'city-main.yaml'}:6"
    )


def test_problems_in_several_files_are_reported_together(tmp_path) -> None:
    write(tmp_path / "a.yaml", "prompts:\n  Bad:\n    sv: A\n    en: A\n")
    write(tmp_path / "b.yaml", "prompts:\n  ok:\n    sv: A\n")
    with pytest.raises(PromptTextError) as caught:
        collect_prompt_texts(tmp_path)
    assert [p.key for p in caught.value.problems] == ["Bad", "ok"]


# --- planning (pure) ------------------------------------------------------------------


def test_plan_reuses_only_outputs_whose_fingerprint_matches() -> None:
    texts = {"a": {"sv": "A"}, "b": {"sv": "B"}, "c": {"sv": "C"}}
    manifest = {
        "sv/a": text_fingerprint("sv", "A"),  # unchanged
        "sv/b": text_fingerprint("sv", "old B"),  # text changed
        "sv/c": text_fingerprint("sv", "C"),  # output file missing
        "sv/gone": "x",  # prompt removed
    }
    plan = plan_build(texts, {}, manifest, frozenset({"sv/a", "sv/b", "sv/gone"}))
    assert [(job.name, job.step) for job in plan.jobs] == [
        ("sv/a", Step.REUSE),
        ("sv/b", Step.SYNTHESISE),
        ("sv/c", Step.SYNTHESISE),
    ]
    assert plan.stale == ("sv/gone",)


def test_plan_takes_a_recording_over_the_text_and_lists_unused_recordings() -> None:
    plan = plan_build({"a": {"sv": "A", "en": "A"}}, {"sv/a": "d1", "sv/z": "d2"}, {}, frozenset())
    assert plan == BuildPlan(plan.jobs, (), ("sv/z",))
    assert [(job.name, job.step) for job in plan.jobs] == [
        ("sv/a", Step.CONVERT),
        ("en/a", Step.SYNTHESISE),
    ]


def test_voice_is_part_of_the_fingerprint() -> None:
    assert text_fingerprint("sv", "Hej") != text_fingerprint("en", "Hej")


# --- building with espeak-ng and sox --------------------------------------------------


def test_every_prompt_is_built_as_8_khz_mono_16_bit_wav(dirs) -> None:
    dialplans, out, recorded = dirs
    report = build_prompts(collect_prompt_texts(dialplans), out, recorded)
    assert len(report.synthesised) == 6 and report.reused == () and report.converted == ()
    for lang in ("sv", "en"):
        for key in ("welcome", "menu", "schools"):
            path = out / lang / f"{key}.wav"
            assert soxi(path, "-r") == "8000", path
            assert soxi(path, "-c") == "1", path
            assert soxi(path, "-b") == "16", path
            assert soxi(path, "-e") == "Signed Integer PCM", path
            assert float(soxi(path, "-D")) > 0.5, path  # speech, not an empty file
    assert oct((out / "sv" / "menu.wav").stat().st_mode & 0o777) == "0o644"


def test_recording_with_the_same_name_wins_and_is_converted(dirs) -> None:
    dialplans, out, recorded = dirs
    record(recorded / "sv" / "welcome.wav", seconds=1.25)
    report = build_prompts(collect_prompt_texts(dialplans), out, recorded)
    assert report.converted == ("sv/welcome",)
    assert report.recorded == 1
    welcome = out / "sv" / "welcome.wav"
    assert soxi(welcome, "-D") == "1.250000"  # the tone's length, not the speech's
    assert (soxi(welcome, "-r"), soxi(welcome, "-c")) == ("8000", "1")
    assert soxi(out / "en" / "welcome.wav", "-D") != "1.250000"  # English still synthesised


def test_second_build_reuses_everything_without_touching_files(dirs) -> None:
    dialplans, out, recorded = dirs
    record(recorded / "en" / "menu.wav", seconds=0.5)
    build_prompts(collect_prompt_texts(dialplans), out, recorded)
    before = {p: p.stat().st_mtime_ns for p in out.glob("*/*.wav")}
    report = build_prompts(collect_prompt_texts(dialplans), out, recorded)
    assert len(report.reused) == 6
    assert report.synthesised == report.converted == ()
    assert report.recorded == 1
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/*.wav")} == before


def test_changed_text_resynthesises_only_that_prompt(dirs) -> None:
    dialplans, out, recorded = dirs
    build_prompts(collect_prompt_texts(dialplans), out, recorded)
    old = (out / "sv" / "menu.wav").read_bytes()
    write(dialplans / "city-main.yaml", FLOW.replace("Tryck ett", "Tryck nu ett"))
    report = build_prompts(collect_prompt_texts(dialplans), out, recorded)
    assert report.synthesised == ("sv/menu",)
    assert (out / "sv" / "menu.wav").read_bytes() != old


def test_changed_or_removed_recording_rebuilds_the_prompt(dirs) -> None:
    dialplans, out, recorded = dirs
    recording = record(recorded / "sv" / "menu.wav", seconds=1.0)
    build_prompts(collect_prompt_texts(dialplans), out, recorded)
    record(recording, seconds=2.0, frequency=330)
    report = build_prompts(collect_prompt_texts(dialplans), out, recorded)
    assert report.converted == ("sv/menu",)
    assert soxi(out / "sv" / "menu.wav", "-D") == "2.000000"
    recording.unlink()
    report = build_prompts(collect_prompt_texts(dialplans), out, recorded)
    assert report.synthesised == ("sv/menu",) and report.recorded == 0


def test_deleted_output_is_rebuilt_and_a_removed_prompt_is_deleted(dirs) -> None:
    dialplans, out, recorded = dirs
    build_prompts(collect_prompt_texts(dialplans), out, recorded)
    (out / "en" / "menu.wav").unlink()
    (dialplans / "schools.yaml").unlink()
    report = build_prompts(collect_prompt_texts(dialplans), out, recorded)
    assert report.synthesised == ("en/menu",)
    assert report.removed == ("en/schools", "sv/schools")
    assert sorted(p.name for p in out.glob("*/*.wav")) == [
        "menu.wav",
        "menu.wav",
        "welcome.wav",
        "welcome.wav",
    ]


def test_broken_recording_fails_naming_it_while_the_rest_is_built(dirs) -> None:
    dialplans, out, recorded = dirs
    write(recorded / "sv" / "menu.wav", "this is not audio")
    with pytest.raises(PromptBuildError) as caught:
        build_prompts(collect_prompt_texts(dialplans), out, recorded)
    assert str(caught.value).startswith(f"prompt sv/menu: recording {recorded / 'sv' / 'menu.wav'}")
    assert len(list(out.glob("*/*.wav"))) == 5
    assert [p.name for p in out.rglob("*.tmp")] == []
    # Fixed, the next build retries exactly the failed prompt.
    record(recorded / "sv" / "menu.wav", seconds=0.75)
    report = build_prompts(collect_prompt_texts(dialplans), out, recorded)
    assert report.converted == ("sv/menu",) and len(report.reused) == 5


def test_bad_key_given_directly_is_rejected_before_anything_is_written(tmp_path) -> None:
    with pytest.raises(PromptTextError, match="texts: prompts.Hej: a key may"):
        build_prompts({"Hej": {"sv": "Hej"}}, tmp_path / "out", tmp_path / "rec")
    assert not (tmp_path / "out").exists()


def test_missing_tool_stops_the_build_before_any_file_changes(dirs, monkeypatch) -> None:
    dialplans, out, recorded = dirs
    monkeypatch.setenv("PATH", str(dirs[0]))  # a PATH with neither espeak-ng nor sox
    with pytest.raises(PromptBuildError, match="espeak-ng is not installed"):
        build_prompts(collect_prompt_texts(dialplans), out, recorded)
    assert list(out.glob("*/*.wav")) == []


# --- the command line -----------------------------------------------------------------


def test_cli_build_prints_the_counts_and_warns_of_unused_recordings(dirs, capsys) -> None:
    dialplans, out, recorded = dirs
    record(recorded / "sv" / "welcome.wav", seconds=0.5)
    record(recorded / "sv" / "goodbye.wav", seconds=0.5)
    argv = [
        "prompts",
        "build",
        "--dialplans",
        str(dialplans),
        "--out",
        str(out),
        "--recorded",
        str(recorded),
    ]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.out == (
        "prompts: 6 built (5 synthesised, 1 from recordings), 0 reused, 0 removed; "
        f"1 of 6 prompts use a recording -> {out}\n"
    )
    assert f"recording {recorded / 'sv' / 'goodbye.wav'} has no prompt text" in captured.err
    assert main(argv) == 0
    assert "0 built (0 synthesised, 0 from recordings), 6 reused" in capsys.readouterr().out


def test_cli_reports_a_bad_flow_file_as_a_user_error(tmp_path, capsys) -> None:
    write(tmp_path / "bad.yaml", "prompts:\n  hej:\n    sv: Hej\n")
    assert (
        main(["prompts", "build", "--dialplans", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    )
    assert f"{tmp_path / 'bad.yaml'}:2: prompts.hej: no 'en' text" in capsys.readouterr().err


def test_cli_rejects_a_dialplans_folder_that_does_not_exist(tmp_path, capsys) -> None:
    assert main(["prompts", "build", "--dialplans", str(tmp_path / "nope")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_cli_defaults_put_prompts_in_the_cache_folder(tmp_path, monkeypatch, capsys) -> None:
    """Without --out, prompts go to the prompts folder of the cache (VAXEL_CACHE)."""
    monkeypatch.setenv("VAXEL_CACHE", str(tmp_path / "cache"))
    assert (
        main(
            ["prompts", "build", "--dialplans", str(write(tmp_path / "d" / "a.yaml", FLOW).parent)]
        )
        == 0
    )
    assert (tmp_path / "cache" / "prompts" / "sv" / "welcome.wav").is_file()
    assert os.path.isfile(tmp_path / "cache" / "prompts" / ".manifest.json")


def test_two_builds_of_one_folder_at_once_both_finish_with_a_whole_manifest(dirs) -> None:
    import json
    from concurrent.futures import ThreadPoolExecutor

    dialplans, out, recorded = dirs
    texts = collect_prompt_texts(dialplans)
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: build_prompts(texts, out, recorded), range(2)))
    assert sorted(len(report.synthesised) for report in reports) == [0, 6]
    manifest = json.loads((out / ".manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["prompts"]) == 6
