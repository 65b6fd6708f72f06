"""Permission matrix of the foundation's pages: every persona, expected status per page."""

import pytest
from django.urls import reverse

# persona -> expected status; 302 means "redirected to the login page".
ROLE_PAGES = {
    "kla:secretariat-home": {
        "anonymous": 302,
        "opd": 403,
        "other_opd": 403,
        "support": 403,
        "secretariat": 200,
        "executive": 403,
        "admin": 200,
    },
    "kla:executive-home": {
        "anonymous": 302,
        "opd": 403,
        "other_opd": 403,
        "support": 403,
        "secretariat": 200,
        "executive": 200,
        "admin": 200,
    },
    "opd:workspace": {
        "anonymous": 302,
        "opd": 200,
        "other_opd": 200,
        "support": 200,
        "secretariat": 403,
        "executive": 403,
        "admin": 403,
    },
}


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(ROLE_PAGES))
def test_role_pages_matrix(url_name, personas, client_for, period, question):
    for persona, expected in ROLE_PAGES[url_name].items():
        response = client_for(personas[persona]).get(reverse(url_name))
        assert response.status_code == expected, (url_name, persona, response.status_code)
        if expected == 302:
            assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "home"),
    [
        ("opd", "opd:workspace"),
        ("secretariat", "kla:secretariat-home"),
        ("executive", "kla:executive-home"),
        ("admin", "kla:secretariat-home"),
    ],
)
def test_home_sends_each_role_to_its_page(persona, home, personas, client_for):
    response = client_for(personas[persona]).get(reverse("kla:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(home)


@pytest.mark.django_db
def test_period_detail_is_for_readers_only(personas, client_for, period, question):
    url = reverse("kla:period-detail", args=[period.year])
    expected = {
        "anonymous": 302,
        "opd": 403,
        "other_opd": 403,
        "support": 403,
        "secretariat": 200,
        "executive": 200,
        "admin": 200,
    }
    for persona, status in expected.items():
        assert client_for(personas[persona]).get(url).status_code == status, persona
    assert client_for(personas["secretariat"]).get("/instrumen/1999/").status_code == 404


@pytest.mark.django_db
def test_workspace_lists_only_own_units_questions(client_for, opd_user, other_opd_user, question):
    mine = client_for(opd_user).get(reverse("opd:workspace"))
    assert question.text in mine.content.decode()
    theirs = client_for(other_opd_user).get(reverse("opd:workspace"))
    assert question.text not in theirs.content.decode()


@pytest.mark.django_db
def test_login_page_speaks_indonesian_first(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'lang="id"' in response.content.decode()
