from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from opd.models import Profile


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="opd_profile_for_user")
def ensure_profile(sender, instance, created, raw=False, **kwargs):
    """Every user has a profile, however the user was made (admin, createsuperuser, import)."""
    if raw or not created:
        return
    role = Profile.Role.ADMIN if instance.is_superuser else Profile.Role.OPD
    Profile.objects.get_or_create(user=instance, defaults={"role": role})
