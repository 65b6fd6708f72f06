"""Notices in the product: what the secretariat decided about a unit's answer, for its people.

Mail alone was not enough: revision requests were missed among other mail, and units kept
working on the wrong question. A notice is written in the same transaction as the decision;
each person's unread count lives on their profile, so the navigation bar shows it without a
query of its own. The secretariat can also open a copy-ready WhatsApp message to a unit's
contact person, which is how task forces reach people in practice.
"""

import re
from urllib.parse import quote

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opd.models import Answer, Notice, Profile
from opd.notifications import MAIL_LANGUAGE

# Local numbers start with 0 (0812...), international ones with +62 or 62.
_NOT_DIGIT = re.compile(r"\D")


def notice_create_for_unit(*, answer: Answer, kind: str, note: str = "") -> int:
    """A notice for every active member of the answering unit; their unread counts go up.
    Called inside the decision's transaction."""
    users = list(
        get_user_model()
        .objects.filter(profile__units=answer.unit_id, is_active=True)
        .values_list("pk", flat=True)
    )
    Notice.objects.bulk_create(
        [Notice(user_id=pk, answer=answer, kind=kind, note=note[:5000]) for pk in users]
    )
    Profile.objects.filter(user_id__in=users).update(unread_notices=F("unread_notices") + 1)
    return len(users)


@transaction.atomic
def notices_mark_read(*, user) -> int:
    """Everything the person was told is read now."""
    count = Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
    Profile.objects.filter(user=user).update(unread_notices=0)
    return count


def whatsapp_number(phone: str) -> str:
    """An Indonesian phone number as wa.me wants it (62812...), or "" when it is not one."""
    digits = _NOT_DIGIT.sub("", phone or "")
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return digits if digits.startswith("62") and 10 <= len(digits) <= 15 else ""


def whatsapp_revision_link(*, phone: str, name: str, answer: Answer, note: str, url: str) -> str:
    """A wa.me link with the revision request written out in Indonesian, ready to send."""
    number = whatsapp_number(phone)
    if not number:
        return ""
    question = answer.question
    with translation.override(MAIL_LANGUAGE):  # the message is written in Indonesian
        text = _(
            "Dear %(name)s, the KLA task force's secretariat asks %(unit)s to revise its answer "
            "to question %(code)s: %(note)s Please revise it here: %(url)s"
        ) % {
            "name": name,
            "unit": answer.unit.short_name,
            "code": f"{question.indicator.code} / {question.code}",
            "note": note.strip() or "-",
            "url": url,
        }
    return f"https://wa.me/{number}?text={quote(text)}"


def whatsapp_share_link(text: str) -> str:
    """A wa.me link without a number: WhatsApp opens with the text and asks which chat (the
    task force's group) to send it to."""
    return f"https://wa.me/?text={quote(text)}"
