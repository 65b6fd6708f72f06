"""/healthz: is this instance able to serve? For the load balancer, systemd and monitoring.

Checks the database (SELECT 1) and the evidence storage (write, read back and delete a tiny
probe under .healthz/). The answer says which check failed and nothing else: no exception
text, no paths, no versions. The details go to the log for the operator.
"""

import logging
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

PROBE_DIR = ".healthz"


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("healthz: database check failed")
        return False


def check_storage() -> bool:
    payload = uuid.uuid4().hex.encode()
    name = None
    try:
        name = default_storage.save(f"{PROBE_DIR}/probe-{payload.decode()}", ContentFile(payload))
        with default_storage.open(name, "rb") as stored:
            read_back = stored.read()
        default_storage.delete(name)
        deleted = not default_storage.exists(name)
        name = None
        return read_back == payload and deleted
    except Exception:
        logger.exception("healthz: storage check failed")
        if name is not None:
            try:
                default_storage.delete(name)
            except Exception:
                logger.exception("healthz: could not delete the storage probe")
        return False


@never_cache
@require_GET
def healthz(request):
    checks = {
        "database": "ok" if check_database() else "error",
        "storage": "ok" if check_storage() else "error",
    }
    if all(value == "ok" for value in checks.values()):
        return JsonResponse({"status": "ok"})
    return JsonResponse({"status": "error", "checks": checks}, status=503)
