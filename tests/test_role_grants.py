"""Who may create or change which account, and give it which role: opd.access.role_grant_check.

The table is the rule: for every importer (actor) and every kind of account, the four roles
in the order opd, executive, secretariat, admin; "Y" allowed, "-" refused.
"""

import pytest

from core.errors import DomainError
from opd.access import RoleGrantRefused, is_administrator, role_grant_check
from opd.models import Profile
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = [Profile.Role.OPD, Profile.Role.EXECUTIVE, Profile.Role.SECRETARIAT, Profile.Role.ADMIN]
TARGETS = ["new", "opd", "executive", "secretariat", "admin", "superuser", "staff", "self"]

EXPECTED = {
    # An administrator grants anything to anybody; only its own role stays as it is.
    "admin": {
        "new": "YYYY",
        "opd": "YYYY",
        "executive": "YYYY",
        "secretariat": "YYYY",
        "admin": "YYYY",
        "superuser": "YYYY",
        "staff": "YYYY",
        "self": "---Y",
    },
    # A superuser is an administrator whatever its profile says (here: unit staff).
    "superuser_actor": {
        "new": "YYYY",
        "opd": "YYYY",
        "executive": "YYYY",
        "secretariat": "YYYY",
        "admin": "YYYY",
        "superuser": "YYYY",
        "staff": "YYYY",
        "self": "Y---",
    },
    # The command line (actor None) runs as the administrator; it has no "self".
    "cli": {
        "new": "YYYY",
        "opd": "YYYY",
        "executive": "YYYY",
        "secretariat": "YYYY",
        "admin": "YYYY",
        "superuser": "YYYY",
        "staff": "YYYY",
    },
    # The secretariat: unit staff and executives only, and never the guarded accounts.
    "secretariat": {
        "new": "YY--",
        "opd": "YY--",
        "executive": "YY--",
        "secretariat": "----",
        "admin": "----",
        "superuser": "----",
        "staff": "----",
        "self": "----",
    },
    "executive": {t: "----" for t in TARGETS},
    "opd": {t: "----" for t in TARGETS},
}

CASES = [
    (actor, target, role, flags[i] == "Y")
    for actor, row in EXPECTED.items()
    for target, flags in row.items()
    for i, role in enumerate(ROLES)
]


@pytest.fixture
def people(secretariat_user, executive_user, admin_user, opd_user):
    """The actors and target accounts; targets are other accounts than the actors."""
    superuser_actor = factories.UserFactory(username="root", role=Profile.Role.OPD)
    superuser_actor.is_superuser = True
    superuser_actor.save(update_fields=["is_superuser"])
    flagged = {}
    for name, flag in [("superuser", "is_superuser"), ("staff", "is_staff")]:
        # Unit staff on paper, but with a Django admin flag: guarded all the same.
        user = factories.UserFactory(username=f"flag.{name}", role=Profile.Role.OPD)
        setattr(user, flag, True)
        user.save(update_fields=[flag])
        flagged[name] = user
    actors = {
        "admin": admin_user,
        "superuser_actor": superuser_actor,
        "cli": None,
        "secretariat": secretariat_user,
        "executive": executive_user,
        "opd": opd_user,
    }
    targets = {
        "new": None,
        "opd": factories.UserFactory(username="t.opd", role=Profile.Role.OPD),
        "executive": factories.UserFactory(username="t.exec", role=Profile.Role.EXECUTIVE),
        "secretariat": factories.UserFactory(username="t.sek", role=Profile.Role.SECRETARIAT),
        "admin": factories.UserFactory(username="t.admin", role=Profile.Role.ADMIN),
        **flagged,
    }
    return actors, targets


@pytest.mark.parametrize(("actor", "target", "role", "allowed"), CASES)
def test_role_grant_rule(people, actor, target, role, allowed):
    actors, targets = people
    actor_user = actors[actor]
    user = actor_user if target == "self" else targets[target]
    if allowed:
        role_grant_check(actor=actor_user, user=user, role=role)
    else:
        with pytest.raises(RoleGrantRefused) as refusal:
            role_grant_check(actor=actor_user, user=user, role=role)
        assert isinstance(refusal.value, DomainError)
        assert refusal.value.message  # the reason, shown to the importer


def test_refusals_say_why(people):
    actors, targets = people
    secretariat = actors["secretariat"]
    reasons = {
        "own role": dict(actor=secretariat, user=secretariat, role=Profile.Role.ADMIN),
        "may not grant the role": dict(actor=secretariat, user=None, role=Profile.Role.ADMIN),
        "may not change the account": dict(
            actor=secretariat, user=targets["admin"], role=Profile.Role.ADMIN
        ),
        "may not create or change accounts": dict(
            actor=actors["executive"], user=None, role=Profile.Role.OPD
        ),
    }
    for reason, kwargs in reasons.items():
        with pytest.raises(RoleGrantRefused, match=reason):
            role_grant_check(**kwargs)


def test_who_is_an_administrator(people):
    actors, _targets = people
    assert [name for name, user in actors.items() if is_administrator(user)] == [
        "admin",
        "superuser_actor",
        "cli",
    ]
