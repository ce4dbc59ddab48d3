"""Drop the reconciliation CSV on the registrar's SFTP server, once a day (registrar digest 5.3).

Registrars already run CSV imports; this puts one file a day in their SFTP folder, holding every
credential event since the last file (as :func:`lti_tool.registrar_report.reconciliation_csv_of`
writes it). Files follow the feed's positions, not the events' dates: positions are given in
commit order, so an event committed late or dated in the past (an expiry found by the sweep) is in
the next file, and none is in two. The server's host key is pinned when the destination is made (no
trust on first use); the host passes the same address guard as every outbound request; the file is
written under a temporary name and renamed, so the SIS never imports half a file. One runner at a
time holds a destination (a lease); a failed drop is tried again after ``RETRY``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import socket
from datetime import date, datetime, time, timedelta
from urllib.parse import unquote, urlsplit

from django.db import transaction
from django.utils import timezone

from ..conf import tool_settings
from ..core.ports import ResolveError
from ..models import FeedCounter, FeedEndpoint, FeedEvent, Issuer
from ..registrar_report import reconciliation_csv_of
from .errors import ServiceError
from .feed_endpoints import feed_endpoint_secrets, secret_sealed
from .resolution import host_check

logger = logging.getLogger(__name__)
RETRY = timedelta(minutes=15)
LEASE = timedelta(minutes=10)
CONNECT_TIMEOUT = 15


def sftp_endpoint_create(*, issuer: Issuer, name: str, url: str, username: str, password: str,
                         host_key_sha256: str, first_day: date | None = None) -> FeedEndpoint:
    """Make a daily SFTP drop: ``sftp://host[:port]/folder``, the account, and the server's pinned host key.

    ``host_key_sha256`` is the key's fingerprint as ``ssh-keygen -l`` prints it (``SHA256:…``). The
    first file, due after ``first_day`` ends, holds every credential event so far.
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
    first = first_day or timezone.localdate()
    return FeedEndpoint.objects.create(
        issuer=issuer, name=name.strip(), kind=FeedEndpoint.Kind.SFTP, url=url,
        settings={"username": username, "host_key_sha256": host_key_sha256, "folder": folder,
                  "after_position": 0, "next_at": _midnight_after(first).isoformat()},
        secrets=[secret_sealed(password, expires_at=None)])


def sftp_drops_run_due(*, limit: int = 10, now: datetime | None = None) -> int:
    """Drop a file for each SFTP destination whose day is over; return how many files went."""
    now = now or timezone.now()
    dropped = 0
    for endpoint in FeedEndpoint.objects.filter(kind=FeedEndpoint.Kind.SFTP, enabled=True).select_related("issuer"):
        if dropped >= limit or datetime.fromisoformat(endpoint.settings["next_at"]) > now:
            continue
        if not _claim(endpoint, now):
            continue  # another runner has it
        upto = FeedCounter.objects.filter(issuer=endpoint.issuer).values_list("last_position", flat=True).first() or 0
        after = int(endpoint.settings.get("after_position", 0))
        try:
            name = sftp_drop(endpoint=endpoint, after=after, upto=upto, day=timezone.localdate(now))
        except (OSError, ServiceError, ResolveError) as error:
            logger.warning("SFTP drop for %s failed: %s", endpoint.name, error)
            _settings(endpoint, next_at=(now + RETRY).isoformat(), last_error=str(error)[:500])
            continue
        _settings(endpoint, after_position=upto, next_at=_midnight_after(timezone.localdate(now)).isoformat(),
                  last_error="", last_file=name)
        dropped += 1
    return dropped


def sftp_drop(*, endpoint: FeedEndpoint, after: int, upto: int, day: date) -> str:
    """Write the credential events after position ``after`` up to ``upto`` as one CSV; return the file name."""
    import paramiko

    host, port, folder = _parts(endpoint.url)
    address = host_check(host, port, allow_private=bool(tool_settings.FEED_ALLOW_PRIVATE))
    events = FeedEvent.objects.filter(issuer=endpoint.issuer, position__gt=after, position__lte=upto)
    content = "".join(reconciliation_csv_of(events)).encode("utf-8")
    name = f"accolade-reconciliation-{endpoint.issuer.uuid}-{day.isoformat()}-{after + 1}-{upto}.csv"
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
            sftp.remove(final)  # dropped again after a failure half-way: the new file replaces it
        except OSError:
            pass
        sftp.rename(partial, final)
        sftp.close()
    except paramiko.SSHException as error:
        raise ServiceError(f"SFTP: {error}") from None
    finally:
        transport.close()
    return name


def _claim(endpoint: FeedEndpoint, now: datetime) -> bool:
    """Take the destination for this runner: move its next_at past the lease, if nobody did first."""
    held = dict(endpoint.settings)
    taken = {**held, "next_at": (now + LEASE).isoformat()}
    if not FeedEndpoint.objects.filter(pk=endpoint.pk, settings=held).update(settings=taken):
        return False
    endpoint.settings = taken
    return True


def _midnight_after(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone())


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
