"""The opening hours a closed switchboard says, made from the schedule that closed it (pure).

`hours_sentences(schedule, at, language)` tells a caller, in short sentences, what
day it is when that day has its own rule (a holiday, an eve, a dated exception), the
hours that apply today, and when the switchboard opens next. Everything comes from
the same `Schedule` that the flow's ``time_condition`` decides with (through
`hours_on` and `next_change`), so what callers hear cannot contradict what the
flow does on an eve. Invariant: every language in `PHRASES` says the same facts;
no clock, no files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Final

from ivr.timeconditions import TIMEZONE, Basis, Schedule, hours_on, is_open, next_change

#: Holiday and eve names in the other languages, by their Swedish name in `ivr.calendar`.
OCCASIONS: Final[Mapping[str, Mapping[str, str]]] = {
    "nyårsdagen": {"en": "New Year's Day", "fi": "uudenvuodenpäivä"},
    "trettondedag jul": {"en": "Epiphany", "fi": "loppiainen"},
    "långfredagen": {"en": "Good Friday", "fi": "pitkäperjantai"},
    "påskdagen": {"en": "Easter Sunday", "fi": "pääsiäispäivä"},
    "annandag påsk": {"en": "Easter Monday", "fi": "toinen pääsiäispäivä"},
    "första maj": {"en": "May Day", "fi": "vappu"},
    "Kristi himmelsfärdsdag": {"en": "Ascension Day", "fi": "helatorstai"},
    "nationaldagen": {"en": "the National Day of Sweden", "fi": "Ruotsin kansallispäivä"},
    "pingstdagen": {"en": "Whit Sunday", "fi": "helluntaipäivä"},
    "annandag pingst": {"en": "Whit Monday", "fi": "toinen helluntaipäivä"},
    "midsommardagen": {"en": "Midsummer Day", "fi": "juhannuspäivä"},
    "alla helgons dag": {"en": "All Saints' Day", "fi": "pyhäinpäivä"},
    "juldagen": {"en": "Christmas Day", "fi": "joulupäivä"},
    "annandag jul": {"en": "Boxing Day", "fi": "tapaninpäivä"},
    "trettondagsafton": {"en": "Twelfth Night", "fi": "loppiaisaatto"},
    "skärtorsdag": {"en": "Maundy Thursday", "fi": "kiirastorstai"},
    "påskafton": {"en": "Easter Eve", "fi": "pääsiäislauantai"},
    "valborgsmässoafton": {"en": "Walpurgis Night", "fi": "vapunaatto"},
    "pingstafton": {"en": "Whitsun Eve", "fi": "helluntaiaatto"},
    "midsommarafton": {"en": "Midsummer Eve", "fi": "juhannusaatto"},
    "allhelgonaafton": {"en": "All Saints' Eve", "fi": "pyhäinpäivän aatto"},
    "julafton": {"en": "Christmas Eve", "fi": "jouluaatto"},
    "nyårsafton": {"en": "New Year's Eve", "fi": "uudenvuodenaatto"},
}

#: The sentences per language; `{...}` are filled in by `hours_sentences`.
PHRASES: Final[Mapping[str, Mapping[str, str]]] = {
    "sv": {
        "occasion": "I dag är det {name}.",
        "closed_today": "Vi har stängt i dag.",
        "open_today": "I dag har vi öppet klockan {hours}.",
        "opens_tomorrow": "Vi öppnar igen i morgon klockan {time}.",
        "opens_later": "Vi öppnar igen {weekday} den {day} {month} klockan {time}.",
        "range": "{start} till {end}",
        "and": " och ",
    },
    "en": {
        "occasion": "Today is {name}.",
        "closed_today": "We are closed today.",
        "open_today": "Today we are open from {hours}.",
        "opens_tomorrow": "We open again tomorrow at {time}.",
        "opens_later": "We open again on {weekday} {day} {month} at {time}.",
        "range": "{start} to {end}",
        "and": " and ",
    },
    "fi": {
        "occasion": "Tänään on {name}.",
        "closed_today": "Olemme tänään kiinni.",
        "open_today": "Tänään olemme avoinna kello {hours}.",
        "opens_tomorrow": "Avaamme taas huomenna kello {time}.",
        "opens_later": "Avaamme taas {weekday} {day}. {month} kello {time}.",
        "range": "{start}–{end}",
        "and": " ja ",
    },
}
WEEKDAYS: Final[Mapping[str, Sequence[str]]] = {
    "sv": ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "fi": ("maanantaina", "tiistaina", "keskiviikkona", "torstaina", "perjantaina",
           "lauantaina", "sunnuntaina"),
}
MONTHS: Final[Mapping[str, Sequence[str]]] = {
    "sv": ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
           "september", "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "fi": ("tammikuuta", "helmikuuta", "maaliskuuta", "huhtikuuta", "toukokuuta", "kesäkuuta",
           "heinäkuuta", "elokuuta", "syyskuuta", "lokakuuta", "marraskuuta", "joulukuuta"),
}


def hours_sentences(schedule: Schedule, at: datetime, language: str) -> str:
    """What day it is (when it has its own rule), today's hours and the next opening (unless
    it is later today, which today's hours say)."""
    words = PHRASES.get(language, PHRASES["sv"])
    lang = language if language in PHRASES else "sv"
    today = at.astimezone(TIMEZONE).date()
    plan = hours_on(schedule, today)
    parts: list[str] = []
    name = _occasion(plan.basis, plan.occasion, schedule, today, lang)
    if name:
        parts.append(words["occasion"].format(name=name))
    opening = None if is_open(schedule, at) else next_change(schedule, at)
    if not plan.hours:
        parts.append(words["closed_today"])
    else:
        ranges = [words["range"].format(start=_clock(i.start, lang), end=_clock(i.end, lang))
                  for i in plan.hours]
        parts.append(words["open_today"].format(hours=words["and"].join(ranges)))
    if opening is not None and opening.date() != today:  # today's hours already say it
        parts.append(_opening(opening, today, lang))
    return " ".join(parts)


def _occasion(basis: Basis, occasion: str, schedule: Schedule, day: date, lang: str) -> str:
    """The day's name in `lang` when a holiday, eve or exception decided it; else ''."""
    if basis in (Basis.HOLIDAY, Basis.EVE):
        swedish = occasion
    elif basis is Basis.EXCEPTION:
        reason = next(e.reason for e in schedule.exceptions if e.covers(day))
        swedish = next((k for k in OCCASIONS if k.lower() == reason.strip().lower()), reason)
    else:
        return ""
    if lang == "sv":
        return swedish
    names = [OCCASIONS.get(part, {}).get(lang, "") for part in swedish.split(" och ")]
    return PHRASES[lang]["and"].join(names) if all(names) else ""


def _opening(opening: datetime, today: date, lang: str) -> str:
    words = PHRASES[lang]
    time = _clock(opening.hour * 60 + opening.minute, lang)
    day = opening.date()
    if day == today + timedelta(days=1):
        return words["opens_tomorrow"].format(time=time)
    return words["opens_later"].format(
        weekday=WEEKDAYS[lang][day.weekday()], day=day.day, month=MONTHS[lang][day.month - 1],
        time=time)


def _clock(minutes: int, lang: str) -> str:
    """8, 13, 8.30 (Swedish and Finnish say the 24-hour clock); 8 am, 1 pm, 8:30 am."""
    hour, minute = divmod(minutes, 60)
    if lang == "en":
        suffix = "am" if hour % 24 < 12 else "pm"
        twelve = hour % 12 or 12
        return f"{twelve}{f':{minute:02d}' if minute else ''} {suffix}"
    return f"{hour}{f'.{minute:02d}' if minute else ''}"

