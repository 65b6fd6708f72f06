"""Date pickers show the stored date in every language: the browser's picker reads ISO only,
and Indonesian, the default, writes dates as 31-03-2030 (which the picker showed empty)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from core.forms import DayInput
from opd import services


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_picker_is_given_the_iso_date_whatever_the_language(language):
    with translation.override(language):
        html = DayInput().render("until", datetime.date(2030, 3, 31))
    assert 'type="date"' in html and 'value="2030-03-31"' in html


def test_the_period_page_shows_its_dates_in_indonesian(client_for, secretariat_user, period):
    html = client_for(secretariat_user).get(reverse("kla:period-edit", args=[period.year]))
    html = html.content.decode()
    assert f'value="{period.window_closes.isoformat()}"' in html
    assert f'value="{period.entry_date.isoformat()}"' in html


def test_the_field_verification_shows_its_date(client_for, secretariat_user, period):
    services.field_verification_record(
        period=period,
        user=secretariat_user,
        on=datetime.date(period.year, 5, 9),
        team="Tim KemenPPPA",
        findings="",
    )
    html = client_for(secretariat_user).get(reverse("kla:evaluation", args=[period.year]))
    assert f'value="{period.year}-05-09"' in html.content.decode()
