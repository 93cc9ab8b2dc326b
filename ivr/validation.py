"""Checks a ``collect`` node applies to what a caller typed (pure): digits, Luhn, personnummer.

Invariant: nothing here logs or keeps the digits (they may be a personal number).
"""

from __future__ import annotations


def luhn_ok(digits: str) -> bool:
    """The last digit is the Luhn check digit of the others."""
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def personnummer_ok(digits: str) -> bool:
    """10 (YYMMDDNNNC) or 12 (YYYYMMDDNNNC) digits, a plausible month and day (samordningsnummer
    add 60 to the day), and a Luhn check digit over the last 10."""
    if not digits.isdigit() or len(digits) not in (10, 12):
        return False
    short = digits[-10:]
    month, day = int(short[2:4]), int(short[4:6])
    day = day - 60 if day > 60 else day
    return 1 <= month <= 12 and 1 <= day <= 31 and luhn_ok(short)


def entry_valid(digits: str, validation: str) -> bool:
    """Whether what the caller typed passes the node's ``validate`` check."""
    if not digits.isdigit():
        return False
    if validation == "luhn":
        return luhn_ok(digits)
    if validation == "personnummer":
        return personnummer_ok(digits)
    return True
