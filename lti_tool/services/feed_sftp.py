"""Drop the reconciliation CSV on the registrar's SFTP server, once a day (registrar digest 5.3).

Registrars already run CSV imports; this puts one file per day (every credential event of that
day, as :func:`lti_tool.registrar_report.reconciliation_csv` writes it) in their SFTP folder. The
server's host key is pinned when the destination is made (no trust on first use); the host passes
the same address guard as every outbound request; the file is written under a temporary name and
renamed, so the SIS never imports half a file. A failed drop is tried again at the next sweeps, and
days missed while the server was down are dropped in order when it is back.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import socket
from datetime import date, datetime, timedelta
from urllib.parse import unquote, urlsplit

from django.db import transaction
from django.utils import timezone

from ..conf import tool_settings
from ..core.ports import ResolveError
from ..models import FeedEndpoint, Issuer
from ..registrar_report import reconciliation_csv
from .errors import ServiceError
from .feed_endpoints import feed_endpoint_secrets, secret_sealed
from .resolution import host_check

logger = logging.getLogger(__name__)
RETRY = timedelta(minutes=15)
CONNECT_TIMEOUT = 15


def sftp_endpoint_create(*, issuer: Issuer, name: str, url: str, username: str, password: str,
                         host_key_sha256: str, first_day: date | None = None) -> FeedEndpoint:
    """Make a daily SFTP drop: ``sftp://host[:port]/folder``, the account, and the server's pinned host key.

    ``host_key_sha256`` is the key's fingerprint as ``ssh-keygen -l`` prints it (``SHA256:…``).
    """
    host, port, folder = _parts(url)
    try:
        host_check(host, port, allow_private=bool(tool_settings.FEED_ALLOW_PRIVATE))
    except ResolveError as error:
        raise ServiceError(f"cannot send to {url}: {error}") from None
    if not host_key_sha256.startswith("SHA256:"):
        raise ServiceError("give the server's host key fingerprint as SHA256:… (ssh-keygen -l -f key.pub)")
    if not username or not password:
        raise ServiceError("an SFTP drop needs a username and a password")
    start = first_day or timezone.now().date()
    return FeedEndpoint.objects.create(
        issuer=issuer, name=name.strip(), kind=FeedEndpoint.Kind.SFTP, url=url,
        settings={"username": username, "host_key_sha256": host_key_sha256, "folder": folder,
                  "next_day": start.isoformat()},
        secrets=[secret_sealed(password, expires_at=None)])


def sftp_drops_run_due(*, limit: int = 10, now: datetime | None = None) -> int:
    """Drop every finished day not yet dropped, for each SFTP destination; return how many files went."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    dropped = 0
    for endpoint in FeedEndpoint.objects.filter(kind=FeedEndpoint.Kind.SFTP, enabled=True).select_related("issuer"):
        settings = endpoint.settings
        if settings.get("retry_at") and datetime.fromisoformat(settings["retry_at"]) > now:
            continue
        day = date.fromisoformat(settings["next_day"])
        while day < today and dropped < limit:
            try:
                name = sftp_drop_day(endpoint=endpoint, day=day)
            except (OSError, ServiceError, ResolveError) as error:
                logger.warning("SFTP drop for %s on %s failed: %s", endpoint.name, day, error)
                _settings(endpoint, retry_at=(now + RETRY).isoformat(), last_error=f"{day}: {error}"[:500])
                break
            day += timedelta(days=1)
            _settings(endpoint, next_day=day.isoformat(), retry_at="", last_error="", last_file=name)
            dropped += 1
    return dropped


def sftp_drop_day(*, endpoint: FeedEndpoint, day: date) -> str:
    """Write one day's reconciliation CSV to the endpoint's folder; return the file name."""
    import paramiko

    host, port, folder = _parts(endpoint.url)
    address = host_check(host, port, allow_private=bool(tool_settings.FEED_ALLOW_PRIVATE))
    content = "".join(reconciliation_csv(issuer=endpoint.issuer, first=day, last=day)).encode("utf-8")
    name = f"accolade-reconciliation-{endpoint.issuer.uuid}-{day.isoformat()}.csv"
    sock = socket.create_connection((address, port), timeout=CONNECT_TIMEOUT)
    transport = paramiko.Transport(sock)
    try:
        transport.banner_timeout = transport.auth_timeout = CONNECT_TIMEOUT
        transport.start_client(timeout=CONNECT_TIMEOUT)
        key = transport.get_remote_server_key()
        seen = "SHA256:" + base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")
        if seen != endpoint.settings["host_key_sha256"].rstrip("="):
            raise ServiceError(f"the server's host key is {seen}, not the pinned one; refusing to send")
        transport.auth_password(endpoint.settings["username"], feed_endpoint_secrets(endpoint, timezone.now())[-1])
        sftp = paramiko.SFTPClient.from_transport(transport)
        partial = f"{folder.rstrip('/')}/.{name}.part"
        sftp.putfo(io.BytesIO(content), partial, confirm=True)
        final = f"{folder.rstrip('/')}/{name}"
        try:
            sftp.remove(final)  # a day dropped again (after a failure half-way) replaces the earlier file
        except OSError:
            pass
        sftp.rename(partial, final)
        sftp.close()
    except paramiko.SSHException as error:
        raise ServiceError(f"SFTP: {error}") from None
    finally:
        transport.close()
    return name


def _parts(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    if parts.scheme != "sftp" or not parts.hostname or parts.username or parts.password:
        raise ServiceError("an SFTP drop is sftp://host[:port]/folder (the account is given apart)")
    return parts.hostname, parts.port or 22, unquote(parts.path) or "/"


def _settings(endpoint: FeedEndpoint, **changes: str) -> None:
    with transaction.atomic():
        locked = FeedEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.settings = {**locked.settings, **changes}
        locked.save(update_fields=["settings"])
    endpoint.settings = locked.settings
