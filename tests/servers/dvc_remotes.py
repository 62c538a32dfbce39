"""Throw-away DVC remote servers on 127.0.0.1: WebDAV (wsgidav + cheroot) and SSH (Debian's sshd).

    with start_webdav(tmp_path / "dav", user="dvc", password="secret") as server:
        server.dvc_url, server.dvc_options        # for `dvc remote modify --local NAME ...`
    with start_sshd(tmp_path / "sshd", store=tmp_path / "store") as server:
        ...

Each serves only 127.0.0.1 and is stopped by the context manager (or ``stop()``).
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

# The WebDAV server, run in its own interpreter: it binds port 0 and prints the port it got, so no
# other process can take the port between choosing and binding it.
_WEBDAV_SERVER = r"""
import json, sys
from cheroot import wsgi
from wsgidav.wsgidav_app import WsgiDAVApp

root, user, password = sys.argv[1:4]
config = {
    "host": "127.0.0.1", "port": 0, "provider_mapping": {"/": root}, "verbose": 1,
    "logging": {"enable": False, "enable_loggers": []},
    "property_manager": True, "lock_storage": True,
    "simple_dc": {"user_mapping": {"*": {user: {"password": password}}}},
    "http_authenticator": {"accept_basic": True, "accept_digest": False, "default_to_digest": False,
                           "trusted_auth_header": None},
}
server = wsgi.Server(("127.0.0.1", 0), WsgiDAVApp(config), numthreads=4)
server.prepare()
print(json.dumps({"port": server.bind_addr[1]}), flush=True)
try:
    server.serve()
finally:
    server.stop()
"""


@dataclass
class Server:
    """A running server: the DVC remote URL and options that reach it."""

    proc: subprocess.Popen
    dvc_url: str
    dvc_options: dict[str, str] = field(default_factory=dict)
    log: Path | None = None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def webdav_missing() -> str | None:
    import importlib.util

    absent = [name for name in ("wsgidav", "cheroot", "dvc_webdav") if importlib.util.find_spec(name) is None]
    return f"{', '.join(absent)} not installed (pip install -e '.[test]')" if absent else None


def start_webdav(root: Path, user: str = "dvc", password: str = "secret", timeout: float = 30) -> Server:
    """A WebDAV server with basic authentication serving ``root``; the DVC remote is ``root/store``."""
    root = Path(root).resolve()
    # dvc-webdav creates folders below the remote's URL, not the URL's own folder
    (root / "store").mkdir(parents=True, exist_ok=True)
    log = root.parent / f"{root.name}.log"
    proc = subprocess.Popen([sys.executable, "-c", _WEBDAV_SERVER, str(root), user, password],
                            stdout=subprocess.PIPE, stderr=open(log, "wb"), stdin=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line:
        proc.wait(timeout=5)
        raise RuntimeError(f"the WebDAV server did not start: {log.read_text()[-2000:]}")
    port = json.loads(line)["port"]
    server = Server(proc, f"webdav://127.0.0.1:{port}/store", {"user": user, "password": password}, log)
    deadline = time.monotonic() + timeout
    while True:  # up when it answers a PROPFIND (401 without credentials)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/", method="PROPFIND", headers={"Depth": "0"})
        try:
            urllib.request.urlopen(request, timeout=2).close()
            return server
        except urllib.error.HTTPError as error:
            if error.code in (207, 401):
                return server
            server.stop()
            raise
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                server.stop()
                raise RuntimeError(f"the WebDAV server is not answering on port {port}") from None
            time.sleep(0.05)


SSHD = shutil.which("sshd", path="/usr/sbin:/usr/bin:/sbin") or "/usr/sbin/sshd"


def sshd_missing() -> str | None:
    import importlib.util

    if not Path(SSHD).exists() or shutil.which("ssh-keygen") is None:
        return "sshd not found: apt-get install --no-install-recommends openssh-server"
    if importlib.util.find_spec("dvc_ssh") is None:
        return "dvc-ssh not installed (pip install -e '.[test]')"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sshd(root: Path, store: Path, timeout: float = 20) -> Server:
    """An OpenSSH server for the current user, key authentication only; the DVC remote is ``store``.

    Its config, host key, client key, authorized_keys and pid file live in ``root``. StrictModes
    is off because every folder above authorized_keys is checked and /tmp is world-writable;
    UsePAM no, so no PAM stack is needed. sshd wants its privilege separation folder /run/sshd.
    """
    root, store = Path(root).resolve(), Path(store).resolve()
    root.mkdir(parents=True, exist_ok=True)
    store.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    host_key, client_key = root / "host_ed25519", root / "client_ed25519"
    for key in (host_key, client_key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    authorized = root / "authorized_keys"
    authorized.write_text(Path(f"{client_key}.pub").read_text())
    os.chmod(authorized, 0o600)
    port, user = _free_port(), getpass.getuser()
    config = root / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\nPidFile {root / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {authorized}\nAuthenticationMethods publickey\nPubkeyAuthentication yes\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
        f"AllowUsers {user}\nUsePAM no\nStrictModes no\nX11Forwarding no\nPrintMotd no\n"
        "Subsystem sftp internal-sftp\nLogLevel VERBOSE\n"
    )
    log = root / "sshd.log"
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=open(log, "wb"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    server = Server(proc, f"ssh://{user}@127.0.0.1:{port}{store}", {"keyfile": str(client_key)}, log)
    deadline = time.monotonic() + timeout
    while True:  # up when it sends its banner
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                if connection.recv(64).startswith(b"SSH-"):
                    return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"sshd is not answering on port {port}: {log.read_text()[-2000:]}")
        time.sleep(0.05)
