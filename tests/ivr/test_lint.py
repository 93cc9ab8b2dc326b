"""The linter's findings on deliberately broken flows; each names file and line."""

from __future__ import annotations

import textwrap
from datetime import date

from ivr.lint import check_files, has_errors

TODAY = date(2026, 11, 26)
BASE = textwrap.dedent(
    """\
    flow: small
    start: menu
    prompts:
      hi: {sv: Hej, en: Hi}
      bye: {sv: Hej då, en: Bye}
    nodes:
      menu:
        kind: menu
        prompt: hi
        choices: {"1": topic, "0": op}
        on_failure: op
      topic:
        kind: enqueue
        queue: kontaktcenter
        requirements: topic=bygglov lang=${language}
      op:
        kind: dial_group
        group: operators
      bye:
        kind: hangup
        prompt: bye
    """
)
TARGETS = textwrap.dedent(
    """\
    groups: [operators]
    queues: [kontaktcenter]
    skills: {topic: [bygglov, skola], lang: [sv, en]}
    units: [u-bygglov]
    """
)


def findings(flow: str, **extra: str) -> list[str]:
    files = {"small.yaml": flow, "targets.yaml": TARGETS, **extra}
    return [str(f) for f in check_files(files, "dp", TODAY)]


def test_given_unreachable_node_then_error_names_its_line():
    assert findings(BASE) == ["dp/small.yaml:19: error: nodes.bye: no caller can reach this node "
                              "[unreachable]"]


def test_given_unknown_queue_and_skill_value_then_errors_name_the_node_line():
    text = BASE.replace("queue: kontaktcenter", "queue: kontaktcentret").replace(
        "topic=bygglov", "topic=bygglv").replace('"0": op}', '"0": op, "9": bye}')
    assert findings(text) == [
        "dp/small.yaml:12: error: nodes.topic: queue 'kontaktcentret' is not in targets.yaml "
        "[unknown-target]",
        "dp/small.yaml:12: error: nodes.topic: value of 'topic' 'bygglv' is not in targets.yaml "
        "[unknown-target]",
    ]


def test_given_unknown_group_and_skill_key_then_errors():
    text = BASE.replace("group: operators", "group: operatörer").replace(
        "lang=${language}", "sprak=${language}").replace('"0": op}', '"0": op, "9": bye}')
    found = findings(text)
    assert "dp/small.yaml:16: error: nodes.op: group 'operatörer' is not in targets.yaml " \
           "[unknown-target]" in found
    assert any("skill 'sprak'" in f and f.startswith("dp/small.yaml:12:") for f in found)


def test_given_hangup_without_goodbye_and_menu_without_on_failure_then_dead_ends():
    text = BASE.replace("    on_failure: op\n", "").replace(
        "    prompt: bye\n", "").replace('"0": op}', '"0": op, "9": bye}')
    found = findings(text)
    assert any(f.startswith("dp/small.yaml:7: error: nodes.menu: after 3 failed") for f in found)
    assert any(f.startswith("dp/small.yaml:18: error: nodes.bye: hangs up without a goodbye")
               for f in found)


def test_given_loop_without_exit_then_no_exit_errors():
    text = BASE.replace('choices: {"1": topic, "0": op}', 'choices: {"1": again}').replace(
        "    on_failure: op\n", "    on_failure: again\n") + textwrap.indent(textwrap.dedent(
            """\
            again:
              kind: play
              prompt: hi
              next: menu
            """), "  ")
    found = [f for f in findings(text) if "[no-exit]" in f]
    assert found == [
        "dp/small.yaml:7: error: nodes.menu: from here a caller never reaches a person or a "
        "goodbye (loop?) [no-exit]",
        "dp/small.yaml:22: error: nodes.again: from here a caller never reaches a person or a "
        "goodbye (loop?) [no-exit]",
    ]


def test_given_overlapping_windows_then_error_and_gaps_warning():
    text = BASE.replace("start: menu", "start: when") + textwrap.indent(textwrap.dedent(
        """\
        when:
          kind: time_switch
          windows:
            day: {schedule: {weekly: {mon-fri: ["08:00-17:00"]}}, next: menu}
            evening: {schedule: {weekly: {mon-fri: ["16:00-22:00"]}}, next: bye}
          otherwise: bye
        """), "  ")
    found = findings(text)
    assert any(f.startswith("dp/small.yaml:22: error: nodes.when: time windows overlap: "
                            "2026-11-26 16:00-17:00: overlap (day, evening) and ") for f in found)
    assert any(f.startswith("dp/small.yaml:22: warning: nodes.when: time windows gap")
               for f in found)


def test_given_unknown_announcement_then_error():
    text = BASE.replace('"0": op}', '"0": op, "9": storm}') + textwrap.indent(textwrap.dedent(
        """\
        storm:
          kind: announcement
          announcement: storm
          next: bye
        """), "  ")
    snow = "announcements:\n  snow: {sv: Snö, en: Snow}\n"
    found = findings(text, **{"announcements.yaml": snow})
    assert found == ["dp/small.yaml:22: error: nodes.storm: announcement 'storm' is not in "
                     "announcements.yaml [unknown-target]"]


def test_given_broken_file_then_its_errors_and_other_files_findings_are_reported_together():
    other = BASE.replace("flow: small", "flow: other").replace("kind: menu", "kind: menuu")
    files = {"small.yaml": BASE, "other.yaml": other, "targets.yaml": TARGETS}
    found = [str(f) for f in check_files(files, "dp", TODAY)]
    assert any(f.startswith("dp/other.yaml:8:") and "unknown node kind 'menuu'" in f for f in found)
    assert any(f.startswith("dp/small.yaml:19:") and "[unreachable]" in f for f in found)
    assert has_errors(check_files(files, "dp", TODAY))


def test_missing_recordings_are_a_warning_not_an_error():
    files = {"small.yaml": BASE.replace('"0": op}', '"0": op, "9": bye}'), "targets.yaml": TARGETS}
    found = check_files(files, "dp", TODAY, recordings=frozenset({("sv", "hi")}))
    assert [str(f) for f in found] == [
        "dp/small.yaml:1: warning: 3 prompt(s) have no recording and play the synthesised "
        "placeholder: en/bye, en/hi, sv/bye [no-recording]"]
    assert not has_errors(found)
