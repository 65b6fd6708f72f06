"""Finding a unit by the name an instrument or a spreadsheet gives it, never silently.

The same agency is written differently from file to file and district to district:
"DPPPAPPKB" and "DP3AP2KB", "Forum Anak Daerah (FAD)" and "Forum Anak Daerah", "Kejaksaan"
and "Kejaksaan Negeri". A name matches a unit when their keys are equal: case, spacing and
punctuation ignored, a parenthesised acronym dropped, and "P3" read as "PPP" (the way the
ministry abbreviates). Anything else (Dunia Usaha for APINDO, JDIH for Bagian Hukum) is an
alias the secretariat chose once, in the import's mapping step, and that is remembered.

Two names *look alike* (`look_alike`) when one may be the other under another spelling or
after a merger: "Dinas PU", "Dinas PUPR" and "Dinas PU Perkim"; "Dispora", "Disparpor" and
"Dinas Pariwisata". Look-alikes are asked about, never merged and never created side by
side silently. Two different abbreviations are two different bodies ("Bapenda" is not
"Bappeda") unless an alias says so: they are never suggested for each other. Only the
secretariat's own agency is recognised under its many spellings (DP3AP2KB, DPPPA, Dinas
P3AP2KB, "Dinas Pemberdayaan Perempuan dan Perlindungan Anak", ...).
"""

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

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


# Words that say what kind of body it is, not which one ("Dinas", "Badan", ...).
_HEADS = {"dinas", "badan", "kantor", "bagian", "satuan", "unit", "uptd", "upt", "sekretariat"}
_WORDS = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class _Shape:
    key: str
    core: str  # the name without its heads ("Dinas PU Perkim" -> "puperkim")
    first: str  # the core's first word ("pu")
    token: bool  # written as one word ("Bappeda", "Dispora")
    dis: bool  # a "Dinas" abbreviation ("Dispora", "Dinkes"): its core follows "Dis"/"Din"
    dinas: bool  # written out as "Dinas ..."


def _shape(name: str) -> _Shape:
    key = unit_name_key(name)
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    text = _PARENTHESES.sub(" ", text) if _PARENTHESES.sub("", text).strip() else text
    text = _REPEAT.sub(lambda m: m.group(1) * int(m.group(2)), text)
    words = _WORDS.findall(text)
    dinas = bool(words) and words[0] == "dinas"
    while len(words) > 1 and words[0] in _HEADS:
        words = words[1:]
    token = len(words) == 1 and not dinas
    dis = token and len(words[0]) > 4 and words[0].startswith(("dis", "din"))
    if dis:
        words = [words[0][3:]]
    return _Shape(key, "".join(words), words[0] if words else "", token, dis, dinas)


def look_alike(a: str, b: str) -> bool:
    """May `a` and `b` name one body (to be asked, never assumed)? Table-tested."""
    x, y = _shape(a), _shape(b)
    if not x.core or not y.core:
        return False
    if x.key == y.key:
        return True
    if x.token and y.token and not (x.dis or y.dis):
        return False  # two abbreviations: two bodies, unless an alias says so
    for one, other in ((x, y), (y, x)):
        # "PU" begins "PUPR" and "PU Perkim"; "Kesehatan" begins "Kesehatan Hewan".
        if len(one.first) >= 2 and other.core.startswith(one.first):
            return True
    if x.dis and y.dis:
        # "Dispora" and "Disparpor": the shorter's first syllable inside the longer.
        short, long_ = sorted((x.core, y.core), key=len)
        return len(short) >= 3 and short[:3] in long_
    for one, other in ((x, y), (y, x)):
        # "Disparpor" and "Dinas Pariwisata": the abbreviation begins the written-out word.
        if one.dis and other.dinas and len(one.core) >= 3 and other.core[:3] == one.core[:3]:
            return True
    return False


def unit_suggestions(name: str, index: dict[str, Unit], *, limit: int = 3) -> list[Unit]:
    """Units whose names may be `name`, best first: a look-alike (look_alike), then a name
    contained in the other ("Kejaksaan" in "Kejaksaan Negeri"), then a written-out name
    misspelt. Another abbreviation is never suggested: "Bapenda" gets nothing from
    "Bappeda"."""
    shape = _shape(name)
    if not shape.key:
        return []
    scored: dict[int, tuple[float, Unit]] = {}
    units = {u.pk: u for u in index.values()}.values()
    for unit in units:
        for text in (unit.name, unit.short_name):
            other = _shape(text)
            if not other.key:
                continue
            ratio = difflib.SequenceMatcher(None, shape.key, other.key).ratio()
            if look_alike(name, text):
                score = 0.95 + ratio / 100
            elif (
                not (shape.token and other.token)
                and min(len(shape.key), len(other.key)) >= 4
                and (shape.key in other.key or other.key in shape.key)
            ):
                score = 0.9
            elif not shape.token and not other.token and ratio >= 0.85:
                score = 0.8 * ratio  # "Dinas Kesehatn": a typo of a written-out name
            else:
                continue
            if score > scored.get(unit.pk, (0, None))[0]:
                scored[unit.pk] = (score, unit)
    ranked = sorted(scored.values(), key=lambda pair: (-pair[0], pair[1].name))
    return [unit for _score, unit in ranked[:limit]]


_SECRETARIAT_ACRONYM = re.compile(r"d?(pppa|ppkb|pp|kb)+")


def is_secretariat_spelling(name: str) -> bool:
    """A spelling of the agency that keeps the KLA secretariat: women's empowerment and child
    protection, with or without population control and family planning (DP3AP2KB, DPPPA,
    DP3A, Dinas P3AP2KB, DP2KBP3A, "Dinas Pemberdayaan Perempuan dan Perlindungan Anak")."""
    shape = _shape(name)
    words = set(_WORDS.findall(unicodedata.normalize("NFKD", name).casefold()))
    if {"pemberdayaan", "perempuan", "anak"} <= words:
        return True
    core = shape.core if shape.dinas or shape.token else ""
    return "pppa" in core and bool(_SECRETARIAT_ACRONYM.fullmatch(core))


@dataclass
class LookAlikeGroup:
    """New names of a file that may be one agency, and existing units they may be."""

    names: list[str]
    units: list[Unit] = field(default_factory=list)


def look_alike_groups(names: list[str], units: list[Unit]) -> list[LookAlikeGroup]:
    """The new `names` grouped with their look-alikes (each other and existing `units`):
    only groups of two or more, or a name that looks like an existing unit."""
    parent = {n: n for n in names}

    def root(n):
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if look_alike(a, b):
                parent[root(a)] = root(b)
    groups: dict[str, LookAlikeGroup] = {}
    for name in names:
        groups.setdefault(root(name), LookAlikeGroup(names=[])).names.append(name)
    out = []
    for group in groups.values():
        group.units = [
            u
            for u in units
            if any(look_alike(n, u.name) or look_alike(n, u.short_name) for n in group.names)
        ]
        if len(group.names) > 1 or group.units:
            out.append(group)
    return out


def unit_alias_remember(*, name: str, unit: Unit) -> None:
    """Next year's import finds `unit` under `name` without asking again."""
    key = unit_name_key(name)
    if key and key not in {unit_name_key(unit.name), unit_name_key(unit.short_name)}:
        UnitAlias.objects.update_or_create(name_key=key, defaults={"unit": unit, "name": name})
