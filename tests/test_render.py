"""The template renderer: pure substitution, every problem named, swaps whole folders."""

from __future__ import annotations

import pytest

from infra.asterisk.errors import TemplateError
from infra.asterisk.params import FOLDERS, new_params, template_values
from infra.asterisk.render import read_templates, render_all, render_text, render_tree
from infra.paths import repo_root


def _problems(text: str, values: dict) -> tuple[str, ...]:
    with pytest.raises(TemplateError) as failure:
        render_text(text, values, source="x.conf.in")
    return failure.value.problems


def test_placeholders_are_replaced_and_asterisk_variables_are_left_alone():
    text = "port = {{port}}\nexten => s,1,NoOp(${EXTEN} {{name}})\n"
    assert render_text(text, {"port": 5038, "name": "a"}) == (
        "port = 5038\nexten => s,1,NoOp(${EXTEN} a)\n"
    )


def test_an_if_block_is_kept_only_when_its_flag_is_true():
    text = "a\n{{if test_mode}}\nb\n{{end}}\nc\n"
    assert render_text(text, {"test_mode": True}) == "a\nb\nc\n"
    assert render_text(text, {"test_mode": False}) == "a\nc\n"


def test_a_missing_value_is_reported_with_file_and_line():
    assert _problems("a\nb = {{nope}}\n", {}) == ("x.conf.in:2: no value for placeholder 'nope'",)


def test_every_problem_of_a_template_is_reported_at_once():
    problems = _problems("{{ spaced }}\n{{if flag}}\n{{open\n{{end}}\n{{end}}\n", {"flag": "yes"})
    assert problems == (
        "x.conf.in:1: malformed placeholder '{{ spaced }}'",
        "x.conf.in:2: condition 'flag' needs a boolean, got 'yes'",
        "x.conf.in:3: '{{' without a closing '}}'",
        "x.conf.in:5: {{end}} without {{if}}",
    )


def test_an_unclosed_if_names_its_line():
    assert _problems("a\n{{if t}}\nb\n", {"t": True}) == (
        "x.conf.in:2: {{if}} is never closed by {{end}}",
    )


def test_a_boolean_used_as_a_placeholder_is_an_error():
    assert "use {{if t}}" in _problems("x = {{t}}\n", {"t": True})[0]


def test_a_value_no_template_uses_is_reported():
    with pytest.raises(TemplateError, match="values used by no template: typo_port"):
        render_all({"a.conf.in": "p = {{port}}\n"}, {"port": 1, "typo_port": 2})


def test_values_inside_a_false_block_still_count_as_used_and_required():
    templates = {"a.conf.in": "{{if t}}\nx = {{secret}}\n{{end}}\n"}
    assert render_all(templates, {"t": False, "secret": "s"}) == {"a.conf": ""}
    with pytest.raises(TemplateError, match="a.conf.in:2: no value for placeholder 'secret'"):
        render_all(templates, {"t": False})


def test_render_tree_replaces_the_folder_whole(tmp_path):
    templates, dest = tmp_path / "t", tmp_path / "etc"
    templates.mkdir()
    (templates / "a.conf.in").write_text("a = {{v}}\n")
    dest.mkdir()
    (dest / "stale.conf").write_text("old")
    render_tree(templates, {"v": 1}, dest)
    assert sorted(p.name for p in dest.iterdir()) == ["a.conf"]
    assert (dest / "a.conf").read_text() == "a = 1\n"


def test_a_failed_render_leaves_the_previous_folder_untouched(tmp_path):
    templates, dest = tmp_path / "t", tmp_path / "etc"
    templates.mkdir()
    (templates / "a.conf.in").write_text("a = {{v}}\n")
    (templates / "b.conf.in").write_text("b = {{w}}\n")
    render_tree(templates, {"v": 1, "w": 2}, dest)
    with pytest.raises(TemplateError, match="b.conf.in:1: no value for placeholder 'w'"):
        render_tree(templates, {"v": 9}, dest)
    assert (dest / "a.conf").read_text() == "a = 1\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_check_that_finds_problems_aborts_the_swap(tmp_path):
    templates, dest = tmp_path / "t", tmp_path / "etc"
    templates.mkdir()
    (templates / "a.conf.in").write_text("a = {{v}}\n")
    with pytest.raises(TemplateError, match="etc/a.conf: too open"):
        render_tree(templates, {"v": 1}, dest, check=lambda d: [f"{d / 'a.conf'}: too open"])
    assert not dest.exists()


def _real(test_mode: bool) -> dict[str, str]:
    params = new_params("unit", test_mode=test_mode)
    folders = {key: f"/inst/{key}" for key in FOLDERS}
    return render_all(read_templates(repo_root() / "asterisk-config"),
                      template_values(params, folders))


def test_the_shipped_templates_render_with_instance_values():
    files = _real(test_mode=False)
    assert {"asterisk.conf", "modules.conf", "manager.conf", "pjsip.conf", "extensions.conf",
            "logger.conf", "rtp.conf", "musiconhold.conf"} <= set(files)
    assert "astrundir => /inst/run" in files["asterisk.conf"]
    assert "bindaddr = 127.0.0.1" in files["manager.conf"]


def test_without_test_mode_there_is_no_harness_user_and_no_simulated_phones():
    files = _real(test_mode=False)
    assert "vaxel-harness" not in files["manager.conf"]
    assert "[sim-phones]" not in files["extensions.conf"]
    with_test = _real(test_mode=True)
    assert "[vaxel-harness]" in with_test["manager.conf"]
    assert "[sim-phones]" in with_test["extensions.conf"]
    assert "[sim-caller]" in with_test["extensions.conf"]


def test_the_controllers_ami_user_gets_only_the_events_it_consumes():
    """eventfilter on the controller's user only; the harness (test mode) still sees all."""
    manager = _real(test_mode=True)["manager.conf"]
    controller, harness = manager.split("[vaxel-harness]")
    filters = [line for line in controller.splitlines() if line.startswith("eventfilter")]
    assert filters == [f"eventfilter(action(include),name({name})) =" for name in
                       ("Hangup", "UserEvent", "OriginateResponse", "ParkedCall", "FullyBooted",
                        "DialEnd")]
    assert "eventfilter" not in harness
