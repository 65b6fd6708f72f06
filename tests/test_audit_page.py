"""The secretariat's audit trail page: who may see it, filters, pages, CSV, read-only, queries.

The page is `audit-trail` (/sekretariat/audit/); times are shown in Asia/Jakarta (UTC+7).
"""

import csv
import datetime
import io

import pytest
from django.contrib.messages import constants as message_levels
from django.urls import reverse

from opd.models import Answer, AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db
UTC = datetime.UTC
URL = "/sekretariat/audit/"
ROW = 'data-testid="audit-row"'


def _at(day, hour=3, minute=0):
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def _events(specs):
    """Bulk-insert events (the model refuses updates, not inserts)."""
    return AuditEvent.objects.bulk_create([AuditEvent(**spec) for spec in specs])


@pytest.fixture
def trail(period, question, lead_unit, other_unit, opd_user, other_opd_user, secretariat_user):
    """Five events over three days, two units, three users and one answer."""
    answer = Answer.objects.create(question=question, unit=lead_unit)
    old_period = factories.PeriodFactory(year=2025)
    return _events(
        [
            dict(
                created_at=_at(1, 3),
                actor=opd_user,
                action="answer.save",
                period=period,
                unit=lead_unit,
                answer=answer,
                summary="Disimpan 8 poin",
                ip_address="10.0.0.1",
            ),
            dict(
                created_at=_at(1, 20),
                actor=opd_user,
                action="answer.submit",
                period=period,
                unit=lead_unit,
                answer=answer,
                summary="Dikirim",
                ip_address="10.0.0.1",
            ),
            dict(
                created_at=_at(2, 4),
                actor=secretariat_user,
                action="answer.request_revision",
                period=period,
                unit=lead_unit,
                answer=answer,
                summary="Foto kurang",
                ip_address="2001:db8::5",
            ),
            dict(
                created_at=_at(3, 1),
                actor=other_opd_user,
                action="comment.add",
                period=period,
                unit=other_unit,
                summary='=HYPERLINK("http://x")',
                ip_address=None,
            ),
            dict(
                created_at=_at(3, 2),
                actor=None,
                action="period.change",
                period=old_period,
                summary="Jendela diubah",
            ),
        ]
    )


def _rows(response) -> int:
    return response.content.decode().count(ROW)


# Who may open it ------------------------------------------------------------------------

EXPECTED = {
    "anonymous": 302,
    "opd": 403,
    "other_opd": 403,
    "support": 403,
    "executive": 403,
    "secretariat": 200,
    "admin": 200,
}


@pytest.mark.parametrize(("persona", "status"), EXPECTED.items())
@pytest.mark.parametrize("query", ["", "?format=csv", "?unit=abc"])
def test_audit_page_permission_matrix(client_for, personas, persona, status, query):
    response = client_for(personas[persona]).get(URL + query)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize(("persona", "status"), EXPECTED.items())
def test_audit_page_takes_no_post(client_for, personas, persona, status):
    """Read-only: nothing to post; outsiders still learn nothing about the methods."""
    response = client_for(personas[persona]).post(URL, {"action": "answer.save"})
    assert response.status_code == (405 if status == 200 else status)


def test_url_name():
    assert reverse("kla:audit-trail") == URL


# What it shows --------------------------------------------------------------------------


def test_newest_first_with_every_column_in_jakarta_time(
    client_for, secretariat_user, trail, question
):
    response = client_for(secretariat_user).get(URL)
    assert response.status_code == 200 and _rows(response) == 5
    page = response.content.decode()
    order = ["Jendela diubah", "HYPERLINK", "Foto kurang", "Dikirim", "Disimpan 8 poin"]
    positions = [page.index(text) for text in order]
    assert positions == sorted(positions)
    # 2 March 04:00 UTC is 11:00 in Jakarta.
    assert "11:00:00" in page and "04:00:00" not in page
    assert f"{question.indicator.code} / {question.code}" in page
    assert "2001:db8::5" in page and "sekretariat" in page and "Dinkes" in page
    assert "Revisi diminta" in page  # the action's label, in Indonesian
    # The zone is said: WIB in the column head, the offset on every time element.
    assert ">WIB</abbr>" in page and "Asia/Jakarta" in page
    assert 'datetime="2026-03-02T11:00:00+07:00"' in page


def test_times_are_jakarta_time_whatever_the_server_zone(
    client_for, secretariat_user, trail, settings
):
    """The column says WIB, so the times must be WIB even if TIME_ZONE is set otherwise."""
    settings.TIME_ZONE = "UTC"
    page = client_for(secretariat_user).get(URL).content.decode()
    assert "11:00:00" in page and "04:00:00" not in page


def test_read_only_page_has_no_write_controls(client_for, secretariat_user, trail):
    page = client_for(secretariat_user).get(URL).content.decode()
    assert 'method="post"' not in page.split("<main", 1)[-1].split("</main>")[0].lower()
    with pytest.raises(ValueError, match="append-only"):
        trail[0].save()
    with pytest.raises(ValueError, match="append-only"):
        AuditEvent.objects.first().delete()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, 5),
        ({"period": "__2025__"}, 1),
        ({"unit": "__other__"}, 1),
        ({"action": "answer.submit"}, 1),
        ({"actor": "SEKRET"}, 1),  # part of the user name, any case
        ({"actor": "opd"}, 2),
        ({"date_from": "2026-03-02"}, 4),  # 1 March 20:00 UTC is 2 March 03:00 in Jakarta
        ({"date_to": "2026-03-01"}, 1),
        ({"date_from": "2026-03-02", "date_to": "2026-03-02"}, 2),
        ({"unit": "__lead__", "action": "answer.save", "actor": "opd"}, 1),
        ({"date_from": "2026-04-01"}, 0),
    ],
)
def test_filters(client_for, secretariat_user, trail, lead_unit, other_unit, params, expected):
    swap = {
        "__2025__": str(AuditEvent.objects.get(action="period.change").period_id),
        "__other__": str(other_unit.pk),
        "__lead__": str(lead_unit.pk),
    }
    params = {k: swap.get(v, v) for k, v in params.items()}
    response = client_for(secretariat_user).get(URL, params)
    assert response.status_code == 200 and _rows(response) == expected
    assert not list(response.context["messages"])


@pytest.mark.parametrize(
    "params",
    [
        {"unit": "abc"},
        {"period": "99999"},
        {"action": "drop table"},
        {"date_from": "kemarin"},
        {"date_to": "2026-02-31"},
        {"actor": "x" * 200},
        {"page": "zzz"},
    ],
)
def test_invalid_filters_show_a_message_never_a_500(client_for, secretariat_user, trail, params):
    response = client_for(secretariat_user).get(URL, params)
    assert response.status_code == 200
    if "page" in params:
        assert _rows(response) == 5  # an odd page number shows the first page
        return
    (message,) = response.context["messages"]
    assert message.level == message_levels.ERROR
    assert _rows(response) == 5  # the filters are ignored, not half-applied


def test_fifty_per_page_and_the_filters_stay_on_page_links(
    client_for, secretariat_user, lead_unit, other_unit, opd_user
):
    start = _at(10)
    _events(
        [
            dict(
                created_at=start + datetime.timedelta(minutes=i),
                actor=opd_user,
                action="comment.add",
                unit=lead_unit,
                summary=f"komentar {i:03}",
            )
            for i in range(120)
        ]
        + [
            dict(
                created_at=start,
                actor=opd_user,
                action="comment.add",
                unit=other_unit,
                summary="lain",
            )
        ]
    )
    client = client_for(secretariat_user)
    first = client.get(URL, {"unit": lead_unit.pk})
    page = first.content.decode()
    assert _rows(first) == 50 and "komentar 119" in page and "komentar 069" not in page
    assert f"unit={lead_unit.pk}&amp;page=2" in page and "1 / 3" in page
    last = client.get(URL, {"unit": lead_unit.pk, "page": 3})
    assert _rows(last) == 20 and "komentar 000" in last.content.decode()
    beyond = client.get(URL, {"unit": lead_unit.pk, "page": 99})
    assert beyond.status_code == 200 and _rows(beyond) == 20  # the last page


# CSV ------------------------------------------------------------------------------------


def _csv(response):
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def test_csv_export_of_the_filtered_list(client_for, secretariat_user, trail, lead_unit, question):
    response = client_for(secretariat_user).get(URL, {"unit": lead_unit.pk, "format": "csv"})
    header, *rows = _csv(response)
    # The page's column names in the reader's language (Indonesian by default).
    assert header == ["Waktu", "Pengguna", "Tindakan", "Unit", "Pertanyaan", "Ringkasan", "Alamat"]
    assert len(rows) == 3
    newest = rows[0]
    assert newest[0] == "2026-03-02 11:00:00+07:00"  # Jakarta time, its offset written out
    assert newest[1] == "sekretariat" and newest[3] == "Dinkes"
    assert newest[2] == "Revisi diminta"  # the action's label, not "answer.request_revision"
    assert newest[4] == f"{question.indicator.code} / {question.code}"
    assert newest[5] == "Foto kurang" and newest[6] == "2001:db8::5"
    assert [r[5] for r in rows] == ["Foto kurang", "Dikirim", "Disimpan 8 poin"]


def test_csv_speaks_the_readers_language(client_for, secretariat_user, trail, settings):
    client = client_for(secretariat_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    header, *rows = _csv(client.get(URL, {"format": "csv"}))
    assert header == ["When", "Who", "What", "Unit", "Question", "Summary", "Address"]
    assert [r[2] for r in rows] == [
        "Period changed",
        "Comment added",
        "Revision requested",
        "Answer submitted",
        "Answer saved",
    ]


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+62 812", "'+62 812"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Foto kurang = 2", "Foto kurang = 2"),  # only the first character matters
        ("'quoted", "'quoted"),
        ("", ""),
    ],
)
def test_csv_cells_never_become_formulas(client_for, secretariat_user, other_unit, typed, written):
    """Every cell a person could type (summary, user name, unit name) is defused."""
    actor = factories.UserFactory(username="@budi")
    other_unit.short_name = "+Dinsos"
    other_unit.save(update_fields=["short_name"])
    _events(
        [dict(created_at=_at(5), actor=actor, action="comment.add", unit=other_unit, summary=typed)]
    )
    _header, row = _csv(client_for(secretariat_user).get(URL, {"format": "csv"}))
    assert (row[1], row[3], row[5]) == ("'@budi", "'+Dinsos", written)


def test_csv_cell_helper():
    from kla.views_secretariat import csv_cell

    for trigger in "=+-@\t\r":
        assert csv_cell(trigger + "x") == "'" + trigger + "x"
    assert csv_cell(None) == "" and csv_cell(12) == "12" and csv_cell("a=b") == "a=b"
    assert csv_cell(-5) == "'-5"  # a negative number read back as text, never as a formula


def test_csv_ignores_pagination_and_keeps_everything(client_for, secretariat_user, opd_user):
    _events([dict(actor=opd_user, action="answer.save", summary=f"e{i}") for i in range(75)])
    response = client_for(secretariat_user).get(URL, {"format": "csv", "page": "2"})
    assert len(_csv(response)) == 1 + 75


# Queries --------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [4, 120])
def test_query_budget_is_constant(
    client_for, secretariat_user, opd_user, period, lead_unit, n, django_assert_num_queries
):
    indicator = factories.IndicatorFactory(group__period=period)
    answers = [
        Answer.objects.create(
            question=factories.QuestionFactory(indicator=indicator), unit=lead_unit
        )
        for _ in range(min(n, 60))
    ]
    _events(
        [
            dict(
                actor=opd_user,
                action="answer.save",
                unit=lead_unit,
                period=period,
                answer=answers[i % len(answers)],
                summary=f"e{i}",
            )
            for i in range(n)
        ]
    )
    client = client_for(secretariat_user)
    # 1 session, 2 user with profile (access check), 3 periods and 4 units (filter choices),
    # 5 count for the paginator, 6 the page's events with actor, unit, answer, question and
    # indicator joined
    with django_assert_num_queries(6):
        response = client.get(URL, {"unit": lead_unit.pk})
    assert _rows(response) == min(n, 50)
    # The CSV: the same first four, then 5 every event in one joined query (no count)
    with django_assert_num_queries(5):
        response = client.get(URL, {"format": "csv"})
    assert len(_csv(response)) == 1 + n
