"""What the console's pages say, in Swedish (the default) and English: one table, like the
prompts' phrase table. Templates and the page script read ``STRINGS[key][lang]``; a key
missing in one language is a test failure (``tests/console/test_views.py``)."""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("sv", "en")
DEFAULT_LANGUAGE = "sv"

_TABLE: dict[str, tuple[str, str]] = {
    "title": ("Växel", "Switchboard"),
    "login": ("Logga in", "Log in"),
    "logout": ("Logga ut", "Log out"),
    "name": ("Namn", "Name"),
    "password": ("Lösenord", "Password"),
    "operator_view": ("Växelvy", "Operator view"),
    "agent_desk": ("Medarbetarvy", "Agent desktop"),
    "wallboard": ("Väggtavla", "Wallboard"),
    "admin": ("Administration", "Admin"),
    "waiting": ("Väntande samtal", "Waiting calls"),
    "no_waiting": ("Ingen väntar", "Nobody waiting"),
    "in_hand": ("Samtal i handen", "Call in hand"),
    "no_call": ("Inget samtal", "No call"),
    "caller": ("Nummer", "Number"),
    "ivr_path": ("Val i menyn", "IVR path"),
    "not_answered": ("Svarade inte", "Did not answer"),
    "search": ("Sök i katalogen", "Search the directory"),
    "search_hint": ("namn, enhet, ämne, anknytning, stadsdel",
                    "name, unit, topic, extension, district"),
    "absent": ("Frånvarande", "Absent"),
    "back_at": ("åter", "back"),
    "on_call": ("i samtal", "on a call"),
    "free": ("ledig", "free"),
    "shortcuts": ("Kortkommandon", "Shortcuts"),
    "answer": ("Svara (nästa samtal)", "Answer (next call)"),
    "transfer": ("Koppla (återkopplas om ingen svarar)", "Transfer (returns if unanswered)"),
    "blind": ("Koppla blint", "Blind transfer"),
    "consult": ("Rådfråga (bevakad koppling)", "Consult (attended transfer)"),
    "complete": ("Fullfölj kopplingen", "Complete the transfer"),
    "cancel": ("Avbryt, tillbaka till den som ringer", "Cancel, back to the caller"),
    "park": ("Parkera", "Park"),
    "pickup": ("Hämta parkerat samtal", "Pick up a parked call"),
    "message": ("Ta meddelande", "Take a message"),
    "hangup": ("Lägg på", "Hang up"),
    "pause": ("Paus", "Pause"),
    "ready": ("Redo", "Ready"),
    "choose": ("Välj träff i sökningen", "Choose a search hit"),
    "queue_login_out": ("Logga in i / ut ur kön", "Log in to / out of the queue"),
    "leave_search": ("Lämna sökfältet, stäng", "Leave the search field, close"),
    "queue_login": ("Logga in i kön", "Log in to the queue"),
    "queue_logout": ("Logga ut ur kön", "Log out of the queue"),
    "device": ("Telefon", "Phone"),
    "recall": ("Återkoppling: ingen svarade", "Recall: nobody answered"),
    "parked": ("Parkerade", "Parked"),
    "state": ("Status", "State"),
    "state_available": ("Redo", "Ready"),
    "state_offered": ("Ringer", "Ringing"),
    "state_on_call": ("I samtal", "On a call"),
    "state_wrap_up": ("Efterarbete", "Wrap-up"),
    "state_paused": ("Paus", "Paused"),
    "state_logged_out": ("Utloggad", "Logged out"),
    "offered_call": ("Samtalet", "The call"),
    "language": ("Språk", "Language"),
    "district": ("Stadsdel", "District"),
    "callback": ("Vill bli uppringd", "Callback requested"),
    "outcome": ("Utfall", "Outcome"),
    "outcome_resolved": ("Löst vid första kontakten", "Resolved at first contact"),
    "outcome_forwarded": ("Vidarebefordrat till enhet", "Forwarded to a unit"),
    "outcome_case_opened": ("Ärende öppnat", "Case opened"),
    "topic": ("Ämne", "Topic"),
    "unit": ("Enhet", "Unit"),
    "save": ("Spara", "Save"),
    "saved": ("Sparat", "Saved"),
    "queue": ("Kö", "Queue"),
    "waiting_now": ("Väntar nu", "Waiting now"),
    "longest_wait": ("Längsta väntan", "Longest wait"),
    "service_level": ("Servicenivå i dag", "Service level today"),
    "asa": ("Snitt svarstid", "Average speed of answer"),
    "abandon_rate": ("Avbrutna", "Abandon rate"),
    "fcr": ("Löst direkt i dag", "First-contact resolution today"),
    "agents_by_state": ("Medarbetare per status", "Agents by state"),
    "agents": ("Medarbetare", "Agents"),
    "skills": ("Kompetenser", "Skills"),
    "end_pause": ("Avsluta paus", "End pause"),
    "dialplans": ("Samtalsflöden", "Dialplans"),
    "check": ("Kontroll", "Check"),
    "deploy": ("Driftsätt", "Deploy"),
    "rollback": ("Återställ förra", "Roll back"),
    "active": ("Aktiv", "Active"),
    "previous": ("Förra", "Previous"),
    "absence": ("Frånvaro", "Absence"),
    "set_absence": ("Lägg in frånvaro", "Set absence"),
    "clear_absence": ("Ta bort frånvaro", "Clear absence"),
    "until": ("till", "until"),
    "audit": ("Händelselogg", "Audit log"),
    "link_down_ami": ("Förbindelsen med telefonin (AMI) är bruten; samtalsstyrning går inte "
                      "just nu", "The telephony link (AMI) is down; call control is not "
                      "possible now"),
    "link_down_redis": ("Lägesdatabasen (Redis) svarar inte; visade uppgifter kan vara gamla",
                        "The state store (Redis) is not answering; what you see may be old"),
    "link_down_ws": ("Ingen direktuppdatering; försöker igen", "No live updates; retrying"),
    "email": ("E-post", "E-mail"),
    "text": ("Text", "Text"),
    "send": ("Skicka", "Send"),
    "space": ("Plats", "Space"),
    "seconds": ("s", "s"),
    "close": ("Stäng", "Close"),
}

STRINGS: Mapping[str, Mapping[str, str]] = {
    key: dict(zip(LANGUAGES, texts, strict=True)) for key, texts in _TABLE.items()
}


def pick_language(requested: str | None) -> str:
    """``?lang=`` (remembered in a cookie) or the cookie; Swedish otherwise, whatever the
    browser's language: the city works in Swedish, English is a choice."""
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE


def table(lang: str) -> dict[str, str]:
    """Every string in one language (sent to the page script)."""
    return {key: texts[lang] for key, texts in STRINGS.items()}
