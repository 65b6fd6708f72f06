"""The entry kit of a per-unit question: the share over the district's official number of
units through the question's steps, a matrix of the units with the missing ones shown as
missing; the top folders in the instrument's order."""

from decimal import Decimal as D

import pytest

from indicators.models import Group
from opd.models import Answer, Assignment, Unit
from tests import factories
from tests.test_entry_kit import _pdf_of, kit_bytes, pdf_text, read_zip, workbook_rows

pytestmark = pytest.mark.django_db


def test_top_folders_sort_in_the_instruments_order(period):
    """A file manager sorts by name: "Kelana Dekela" (the last group) came first."""
    for order, name in enumerate(["Kelembagaan", "Klaster I", "Klaster V", "Kelana Dekela"], 1):
        group = Group.objects.create(period=period, name=name, order=order)
        factories.QuestionFactory(indicator__group=group)
    names = [n for n in read_zip(kit_bytes(period)[0]).namelist() if "/" in n]
    tops = list(dict.fromkeys(n.split("/")[0] for n in names))
    assert tops == ["01 Kelembagaan", "02 Klaster I", "03 Klaster V", "04 Kelana Dekela"]
    assert sorted(tops) == tops


def test_a_tables_cover_has_the_share_through_the_steps_and_every_unit(period, tmp_path):
    period.official_kecamatan = 5
    period.save()
    question = factories.QuestionFactory(
        indicator__group__period=period,
        indicator__code="25",
        code="1",
        every_kecamatan=True,
        max_points=D("3"),
        steps=[["0", "0.75"], ["25", "1.20"], ["50", "2.25"], ["75", "2.40"], ["100", "3.00"]],
    )
    units = [
        factories.UnitFactory(name=f"Kecamatan {n}", short_name=f"K{n}", kind=Unit.Kind.KECAMATAN)
        for n in ("Betara", "Merlung", "Senyerang", "Tungkal Ilir")
    ]
    for unit in units:
        factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.PER_UNIT)
    # Betara approved "Ya"; Merlung claimed "Ya" but the secretariat verified 0; Senyerang a
    # draft "Ya"; Tungkal Ilir nothing. As entered: 2 of the district's 5 (40%): 1,20.
    for unit, status, claimed, verified in [
        (units[0], Answer.Status.APPROVED, "3", "3"),
        (units[1], Answer.Status.APPROVED, "3", "0"),
        (units[2], Answer.Status.DRAFT, "3", None),
    ]:
        Answer.objects.create(
            question=question,
            unit=unit,
            status=status,
            claimed_points=D(claimed),
            verified_points=D(verified) if verified else None,
        )
    cover = pdf_text(_pdf_of(read_zip(kit_bytes(period)[0]), "1"), tmp_path, page=1)
    assert "Persentase “Ya”: 2 dari 5 (40%) Nilai 1,20" in cover
    assert "1 Kecamatan Betara — 3,00" in cover
    assert "2 Kecamatan Merlung — 0,00" in cover
    assert "3 Kecamatan Senyerang — 3,00" in cover
    assert "4 Kecamatan Tungkal Ilir Belum ada: unit ini belum menjawab." in cover
    assert "Belum ada: 1 unit lagi dari jumlah resmi kabupaten tidak memiliki baris" in cover
    assert "Draf" not in cover and "Disetujui" not in cover
    # The workbook keeps the states, and the question's points as the engine counts them:
    # claimed 3 rows of 5 = 60% -> 2,25; verified 1 of 5 = 20% -> 0,75.
    _sheet, _header, rows = workbook_rows(period)
    assert rows[0]["Status"] == "Ya: 3 dari 5 (60%) · 2/4 unit disetujui"
    assert (rows[0]["Nilai klaim"], rows[0]["Nilai terverifikasi"]) == (2.25, 0.75)
    assert [r["Status"] for r in rows[1:]] == ["Disetujui", "Disetujui", "Draf", "Belum dimulai"]
