"""The ``set_variables`` node and ``dial_group`` requirements: loader, interpreter, linter."""

from __future__ import annotations

import textwrap
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from ivr import actions as a
from ivr.errors import FlowFileError
from ivr.flow import parse_flow
from ivr.interpreter import FlowRun
from ivr.lint import check_files
from ivr.run import Group

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
GROUPS = {"operators": Group("operators", "PJSIP/1000", 30)}
DISTRICT = textwrap.dedent(
    """\
    flow: district
    entry_numbers: ["4100"]
    start: mark
    nodes:
      mark:
        kind: set_variables
        variables: {district: sodermalm, office: "${district}-x"}
        next: onward
      onward:
        kind: goto
        flow: city
    """
)
CITY = textwrap.dedent(
    """\
    flow: city
    start: op
    nodes:
      op:
        kind: dial_group
        group: operators
        requirements: district=${district} lang=${language}
    """
)
TARGETS = "groups: [operators]\nqueues: []\nskills: {district: [], lang: [sv, en]}\nunits: []\n"


def test_given_set_variables_then_the_values_stay_for_the_next_flow_and_fill_requirements():
    district, city = parse_flow(DISTRICT, "district.yaml"), parse_flow(CITY, "city.yaml")
    run = FlowRun.new(district, GROUPS, "c1")
    actions = run.start(NOW)
    assert actions == [a.SwitchFlow("city")]
    assert run.state.variables["district"] == "sodermalm"
    # a value may use variables already set (here: none yet, so it is empty)
    assert run.state.variables["office"] == "-x"
    [dial] = run.handle(a.FlowFound(city), NOW)
    assert isinstance(dial, a.Dial) and dial.label == "group operators"
    assert dial.requirements == (("district", "sodermalm"), ("lang", "sv"))
    assert dial.requirements_text() == "district=sodermalm;lang=sv"


def test_given_no_district_set_then_the_empty_requirement_is_left_out():
    [dial] = FlowRun.new(parse_flow(CITY, "city.yaml"), GROUPS, "c1").start(NOW)
    assert isinstance(dial, a.Dial) and dial.requirements == (("lang", "sv"),)


@pytest.mark.parametrize(("variables", "message"), [
    ("{language: en}", "'language' is set by the call itself"),
    ("{Bad-Name: x}", "'Bad-Name' is not a variable name"),
    ("{district: [a, b]}", "expected a text value"),
    ("{}", "needs at least one variable"),
])
def test_given_bad_variables_then_the_loader_names_the_field(variables, message):
    text = DISTRICT.replace("{district: sodermalm, office: \"${district}-x\"}", variables)
    with pytest.raises(FlowFileError) as err:
        parse_flow(text, "district.yaml")
    assert any(message in str(p) and "nodes.mark.variables" in str(p)
               for p in err.value.problems), [str(p) for p in err.value.problems]


def _findings(**files: str) -> list[str]:
    return [str(f) for f in check_files({"targets.yaml": TARGETS, **files}, "dp",
                                        date(2026, 11, 26))]


def test_given_a_variable_set_by_a_flow_that_leads_here_then_no_unknown_variable_warning():
    found = _findings(**{"district.yaml": DISTRICT, "city.yaml": CITY})
    assert not [f for f in found if "unknown-variable" in f], found


def test_given_a_variable_nobody_sets_then_the_dial_group_requirement_is_warned_about():
    found = _findings(**{"city.yaml": CITY})
    assert any("city.yaml" in f and "nodes.op" in f and "${district}" in f
               and "[unknown-variable]" in f for f in found), found


def test_given_an_unknown_skill_key_on_a_dial_group_then_error():
    found = _findings(**{"city.yaml": CITY.replace("district=", "area=")})
    assert any("skill 'area' is not in targets.yaml" in f for f in found), found
