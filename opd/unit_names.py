"""Finding a unit by the name an instrument or a spreadsheet gives it, never silently.

The same agency is written differently from file to file and district to district:
"DPPPAPPKB" and "DP3AP2KB", "Forum Anak Daerah (FAD)" and "Forum Anak Daerah", "Kejaksaan"
and "Kejaksaan Negeri". A name matches a unit when their keys are equal: case, spacing and
punctuation ignored, a parenthesised acronym dropped, and "P3" read as "PPP" (the way the
ministry abbreviates). Anything else (Dunia Usaha for APINDO, JDIH for Bagian Hukum) is an
alias the secretariat chose once, in the import's mapping step, and that is remembered.
"""

import difflib
import re
import unicodedata

from opd.models import Unit, UnitAlias

_PARENTHESES = re.compile(r"\([^)]*\)")
_REPEAT = re.compile(r"([a-z])([2-9])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def unit_name_key(name: str) -> str:
    """The comparable form of a unit's name ("DP3AP2KB" and "D.P.P.P.A.P.P.K.B" agree)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    text = _PARENTHESES.sub(" ", text) if _PARENTHESES.sub("", text).strip() else text
    text = _REPEAT.sub(lambda m: m.group(1) * int(m.group(2)), text)
    return _NOT_WORD.sub("", text)


def unit_index() -> dict[str, Unit]:
    """Every key that names a unit: its name, short name and remembered aliases. Two queries."""
    index: dict[str, Unit] = {}
    units = list(Unit.objects.all())
    for unit in units:
        for text in (unit.name, unit.short_name):
            index.setdefault(unit_name_key(text), unit)
    by_pk = {u.pk: u for u in units}
    for key, unit_id in UnitAlias.objects.values_list("name_key", "unit_id"):
        index.setdefault(key, by_pk[unit_id])
    return index


def unit_suggestions(name: str, index: dict[str, Unit], *, limit: int = 3) -> list[Unit]:
    """Units whose names look like `name`, best first: a name contained in the other
    ("Kejaksaan" in "Kejaksaan Negeri"), then similar spelling."""
    key = unit_name_key(name)
    scored: dict[int, tuple[float, Unit]] = {}
    for other, unit in index.items():
        if not key or not other:
            continue
        score = difflib.SequenceMatcher(None, key, other).ratio()
        if key in other or other in key:
            score = max(score, 0.9)
        if score >= 0.6 and score > scored.get(unit.pk, (0, None))[0]:
            scored[unit.pk] = (score, unit)
    ranked = sorted(scored.values(), key=lambda pair: (-pair[0], pair[1].name))
    return [unit for _score, unit in ranked[:limit]]


def unit_alias_remember(*, name: str, unit: Unit) -> None:
    """Next year's import finds `unit` under `name` without asking again."""
    key = unit_name_key(name)
    if key and key not in {unit_name_key(unit.name), unit_name_key(unit.short_name)}:
        UnitAlias.objects.update_or_create(name_key=key, defaults={"unit": unit, "name": name})
