"""Sentences the IVR makes up during a call, in Swedish, English and Finnish (pure).

Absence notes ("Anna Ekström är på lunch till klockan 13:00.") and the list of
dial-by-name candidates are composed here from directory data, then said with
``Say`` (synthesised by the session). Invariant: every phrase exists in each
language of ``ivr.nodes.LANGUAGES``; unknown categories fall back to a neutral
sentence rather than failing a call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

#: Times in notes are said in local time.
LOCAL_ZONE = ZoneInfo("Europe/Stockholm")
_CATEGORY: dict[str, dict[str, str]] = {
    "meeting": {"sv": "sitter i möte", "en": "is in a meeting", "fi": "on kokouksessa"},
    "lunch": {"sv": "är på lunch", "en": "is at lunch", "fi": "on lounaalla"},
    "out_of_office": {"sv": "är inte på kontoret", "en": "is out of the office",
                      "fi": "ei ole toimistolla"},
    "leave": {"sv": "är ledig", "en": "is on leave", "fi": "on vapaalla"},
}
_AWAY = {"sv": "är inte anträffbar", "en": "is not available", "fi": "ei ole tavoitettavissa"}
_MONTHS_SV = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
              "september", "oktober", "november", "december")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
_MONTHS_FI = ("tammikuuta", "helmikuuta", "maaliskuuta", "huhtikuuta", "toukokuuta",
              "kesäkuuta", "heinäkuuta", "elokuuta", "syyskuuta", "lokakuuta", "marraskuuta",
              "joulukuuta")
_FORWARD = {
    "colleague": {"sv": "Du kopplas till en kollega.",
                  "en": "You will be put through to a colleague.",
                  "fi": "Yhdistän työtoverille."},
    "unit": {"sv": "Du kopplas till enheten.", "en": "You will be put through to the unit.",
             "fi": "Yhdistän yksikköön."},
    "contact_center": {"sv": "Du kopplas till kontaktcentret.",
                       "en": "You will be put through to the contact center.",
                       "fi": "Yhdistän kaupungin asiakaspalveluun."},
}


def until_text(until: str | None, language: str) -> str:
    """`` till klockan 13:00 den 24 november`` / `` until 13:00 on 24 November``; '' if unknown."""
    if not until:
        return ""
    try:
        at = datetime.fromisoformat(until)
    except ValueError:
        return ""
    if at.tzinfo is not None:
        at = at.astimezone(LOCAL_ZONE)
    clock = f"{at.hour:02d}:{at.minute:02d}"
    day_sv, day_en = f"{at.day} {_MONTHS_SV[at.month - 1]}", f"{at.day} {_MONTHS_EN[at.month - 1]}"
    day_fi = f"{at.day}. {_MONTHS_FI[at.month - 1]}"
    if clock == "00:00":  # a note that ends at midnight: back that day
        return {"sv": f" till den {day_sv}", "fi": f" {day_fi} asti"}.get(
            language, f" until {day_en}")
    if language == "fi":
        return f" {day_fi} kello {at.hour}.{at.minute:02d} asti"
    if language == "sv":
        return f" till klockan {clock} den {day_sv}"
    return f" until {clock} on {day_en}"


def absence_text(name: str, absence: Mapping[str, str], language: str) -> str:
    """What a caller hears about an absent person: who, why, until when, the note, and where
    the call goes next."""
    category = _CATEGORY.get(absence.get("category", ""), _AWAY).get(language, _AWAY["en"])
    parts = [f"{name} {category}{until_text(absence.get('until'), language)}."]
    message = absence.get("message", "").strip()
    if message:
        parts.append(message if message[-1] in ".!?" else f"{message}.")
    forward = _FORWARD.get(absence.get("forward_kind", ""))
    if forward:
        parts.append(forward.get(language, forward["en"]))
    return " ".join(parts)


def candidates_text(names: Sequence[str], language: str) -> str:
    """"För Anna Ek, tryck 1. För Bo Ek, tryck 2." in the call's language."""
    if language == "sv":
        return " ".join(f"För {n}, tryck {i}." for i, n in enumerate(names, 1))
    if language == "fi":
        return " ".join(f"{n}, paina {i}." for i, n in enumerate(names, 1))
    return " ".join(f"For {n}, press {i}." for i, n in enumerate(names, 1))
