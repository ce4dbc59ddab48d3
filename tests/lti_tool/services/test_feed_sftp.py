"""The daily reconciliation CSV dropped on an SFTP server (asyncssh's, not ours), with a pinned host key."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import threading
from datetime import timedelta

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


def test_each_finished_day_is_dropped_once_in_order(issuer, achievement, learner, sftp, tmp_path):
    two_days_ago = timezone.now() - timedelta(days=2)
    award_issue(achievement=achievement, learner=learner, issued_by="t", now=two_days_ago)
    endpoint = sftp_endpoint_create(issuer=issuer, name="Banner SFTP", url=f"sftp://127.0.0.1:{sftp.port}/inbox",
                                    username="registrar", password="pw", host_key_sha256=sftp.fingerprint,
                                    first_day=two_days_ago.date())
    assert sftp_drops_run_due() == 2 and sftp_drops_run_due() == 0
    files = sorted(p.name for p in (tmp_path / "inbox").iterdir())
    assert files == [f"accolade-reconciliation-{issuer.uuid}-{two_days_ago.date() + timedelta(days=n)}.csv"
                     for n in range(2)]
    first = (tmp_path / "inbox" / files[0]).read_text().splitlines()
    assert first[0].startswith("sequence,event_id") and len(first) == 2 and ",S123," in first[1]
    endpoint.refresh_from_db()
    assert endpoint.settings["next_day"] == timezone.localdate().isoformat()


def test_a_server_with_another_host_key_gets_nothing(issuer, sftp, tmp_path):
    endpoint = sftp_endpoint_create(issuer=issuer, name="SFTP", url=f"sftp://127.0.0.1:{sftp.port}/inbox",
                                    username="registrar", password="pw", host_key_sha256="SHA256:" + "A" * 43,
                                    first_day=timezone.now().date() - timedelta(days=1))
    assert sftp_drops_run_due() == 0
    endpoint.refresh_from_db()
    assert "host key" in endpoint.settings["last_error"] and not list((tmp_path / "inbox").iterdir())
    assert sftp_drops_run_due() == 0, "retried later, not at once"
    assert sftp_drops_run_due(now=timezone.now() + timedelta(minutes=20)) == 0  # still the wrong key


def test_a_wrong_password_or_a_server_that_is_down_is_retried(issuer, sftp, tmp_path):
    endpoint = sftp_endpoint_create(issuer=issuer, name="SFTP", url=f"sftp://127.0.0.1:{sftp.port}/inbox",
                                    username="registrar", password="wrong", host_key_sha256=sftp.fingerprint,
                                    first_day=timezone.now().date() - timedelta(days=1))
    assert sftp_drops_run_due() == 0
    endpoint.refresh_from_db()
    assert endpoint.settings["last_error"] and endpoint.settings["next_day"] < timezone.localdate().isoformat()


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
