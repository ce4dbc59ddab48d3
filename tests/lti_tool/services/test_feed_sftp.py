"""The daily reconciliation CSV dropped on an SFTP server (asyncssh's, not ours), with a pinned host key."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import threading
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from lti_tool.services.awards import award_issue
from lti_tool.services.errors import ServiceError
from lti_tool.services.feed_sftp import sftp_drops_run_due, sftp_endpoint_create

asyncssh = pytest.importorskip("asyncssh")


class SftpServer:
    """asyncssh's SFTP server on a free port, one account, files under ``root``."""

    def __init__(self, root, password="pw") -> None:
        self.root, self.password = root, password
        self.key = asyncssh.generate_private_key("ssh-ed25519")
        blob = base64.b64decode(self.key.export_public_key("openssh").split()[1])
        self.fingerprint = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        assert self.ready.wait(20)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self

        class Accounts(asyncssh.SSHServer):
            def begin_auth(self, username):
                return True

            def password_auth_supported(self):
                return True

            def validate_password(self, username, password):
                return username == "registrar" and password == server.password

        async def start():
            self.acceptor = await asyncssh.listen(
                "127.0.0.1", 0, server_host_keys=[self.key], server_factory=Accounts,
                sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(self.root).encode()))
            self.port = self.acceptor.get_port()
            self.ready.set()

        self.loop.run_until_complete(start())
        self.loop.run_forever()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.acceptor.close)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def sftp(tmp_path, settings):
    settings.ACCOLADE = {**settings.ACCOLADE, "FEED_ALLOW_PRIVATE": True}
    (tmp_path / "inbox").mkdir()
    server = SftpServer(tmp_path)
    yield server
    server.close()


def test_each_day_drops_the_events_since_the_last_file_once(issuer, make_achievement, learner, sftp, tmp_path):
    from lti_tool.services.expiry import awards_expiry_sweep

    two_days_ago = timezone.now() - timedelta(days=2)
    award_issue(achievement=make_achievement(name="Data Literacy"), learner=learner, issued_by="t",
                now=two_days_ago)
    award_issue(achievement=make_achievement(name="CPR", valid_for_days=1), learner=learner, issued_by="t",
                now=two_days_ago)
    endpoint = sftp_endpoint_create(issuer=issuer, name="Banner SFTP", url=f"sftp://127.0.0.1:{sftp.port}/inbox",
                                    username="registrar", password="pw", host_key_sha256=sftp.fingerprint,
                                    first_day=two_days_ago.date())
    assert sftp_drops_run_due() == 1 and sftp_drops_run_due() == 0, "one file for the days so far, then none"
    [first] = sorted((tmp_path / "inbox").iterdir())
    assert first.name.startswith(f"accolade-reconciliation-{issuer.uuid}-") and first.name.endswith("-1-2.csv")
    lines = first.read_text().splitlines()
    assert lines[0].startswith("sequence,event_id") and len(lines) == 3 and ",S123," in lines[1]
    assert awards_expiry_sweep() == 1  # the CPR expiry is found now, dated the day after its award
    tomorrow = timezone.now() + timedelta(days=1)
    assert sftp_drops_run_due(now=tomorrow) == 1
    second = [p for p in (tmp_path / "inbox").iterdir() if p != first]
    [second] = second
    assert second.name.endswith("-3-3.csv") and "credential.expired" in second.read_text()
    endpoint.refresh_from_db()
    assert endpoint.settings["after_position"] == 3


def test_two_runners_do_not_drop_the_same_file(issuer, sftp):
    from lti_tool.services import feed_sftp

    endpoint = sftp_endpoint_create(issuer=issuer, name="SFTP", url=f"sftp://127.0.0.1:{sftp.port}/inbox",
                                    username="registrar", password="pw", host_key_sha256=sftp.fingerprint,
                                    first_day=timezone.now().date() - timedelta(days=1))
    stale = type(endpoint).objects.get(pk=endpoint.pk)
    assert feed_sftp._claim(endpoint, timezone.now())
    assert not feed_sftp._claim(stale, timezone.now()), "the second runner sees it taken"


def test_a_server_with_another_host_key_gets_nothing(issuer, sftp, tmp_path):
    endpoint = sftp_endpoint_create(issuer=issuer, name="SFTP", url=f"sftp://127.0.0.1:{sftp.port}/inbox",
                                    username="registrar", password="pw", host_key_sha256="SHA256:" + "A" * 43,
                                    first_day=timezone.now().date() - timedelta(days=1))
    assert sftp_drops_run_due() == 0
    endpoint.refresh_from_db()
    assert "host key" in endpoint.settings["last_error"] and not list((tmp_path / "inbox").iterdir())
    assert datetime.fromisoformat(endpoint.settings["next_at"]) > timezone.now(), "retried later, not at once"


def test_a_wrong_password_or_a_server_that_is_down_is_retried(issuer, sftp, tmp_path):
    endpoint = sftp_endpoint_create(issuer=issuer, name="SFTP", url=f"sftp://127.0.0.1:{sftp.port}/inbox",
                                    username="registrar", password="wrong", host_key_sha256=sftp.fingerprint,
                                    first_day=timezone.now().date() - timedelta(days=1))
    assert sftp_drops_run_due() == 0
    endpoint.refresh_from_db()
    assert endpoint.settings["last_error"] and endpoint.settings["after_position"] == 0


@pytest.mark.parametrize("url", ["http://127.0.0.1/x", "sftp://user:pw@127.0.0.1/x"])
def test_bad_addresses_are_refused(issuer, settings, url):
    with pytest.raises(ServiceError):
        sftp_endpoint_create(issuer=issuer, name="x", url=url, username="u", password="p",
                             host_key_sha256="SHA256:x")


def test_a_private_host_is_refused_unless_allowed(issuer, settings):
    settings.ACCOLADE = {**settings.ACCOLADE, "FEED_ALLOW_PRIVATE": False}
    with pytest.raises(ServiceError, match="cannot send to"):
        sftp_endpoint_create(issuer=issuer, name="x", url="sftp://10.2.3.4/in", username="u", password="p",
                             host_key_sha256="SHA256:x")
