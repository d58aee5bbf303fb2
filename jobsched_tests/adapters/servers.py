"""Real local servers for the SFTP and object-storage adapters, as subprocesses, and a TCP fault proxy to put
in front of them (dropped connections, hung connections)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import asyncssh
import requests

from jobsched_tests.adapters.sample_source import free_port

SFTP_USER = "custody"
SFTP_PASSWORD = "s3cret-sftp-pw"  # given to the server through the environment, like the adapter's
S3_ACCESS_KEY, S3_SECRET_KEY = "test-access-key", "test-secret-key"


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


class SftpServer:
    """`python -m jobsched.samples.sftp_server` serving `base/root`, password and key authentication."""

    def __init__(self, base: Path) -> None:
        self.root = base / "root"
        self.root.mkdir(parents=True)
        self.key_file = base / "client_key"
        key = asyncssh.generate_private_key("ssh-ed25519")
        key.write_private_key(str(self.key_file))
        (base / "authorized_keys").write_bytes(key.export_public_key())
        self.known_hosts = base / "known_hosts"
        env = dict(os.environ, TEST_SFTP_PASSWORD=SFTP_PASSWORD)
        args = [sys.executable, "-m", "jobsched.samples.sftp_server", "--port", "0", "--root", str(self.root),
                "--user", SFTP_USER, "--password-env", "TEST_SFTP_PASSWORD",
                "--authorized-keys", str(base / "authorized_keys"), "--host-key", str(base / "host_key"),
                "--known-hosts-out", str(self.known_hosts)]  # fmt: skip
        self.process = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
        )
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line.startswith("sftp listening on "):
            _stop(self.process)
            raise RuntimeError(f"SFTP server did not start: {line!r}")
        self.port = int(line.split()[3].rsplit(":", 1)[1])

    def close(self) -> None:
        _stop(self.process)


class S3Server:
    """moto's standalone S3-compatible server on a free port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        moto = Path(sys.executable).with_name("moto_server")
        self.process = subprocess.Popen(
            [str(moto), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self.process.returncode}")
            try:
                requests.get(f"{self.url}/moto-api/", timeout=1)
                return
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    _stop(self.process)
                    raise RuntimeError(f"moto_server not answering on {self.url} after 30s") from None
                time.sleep(0.1)

    def client(self):  # type: ignore[no-untyped-def]
        from jobsched.samples.object_store import s3_client

        return s3_client(self.url, S3_ACCESS_KEY, S3_SECRET_KEY)

    def close(self) -> None:
        _stop(self.process)


class FaultProxy:
    """A TCP proxy in front of a real server that can drop the next N connections (closed on accept, as a
    crashing or restarting server does) or hang them (accept, never answer). Counts connections."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(32)
        self.port = self.sock.getsockname()[1]
        self.accepted = self.dropped = 0
        self.drop_next = 0
        self.hang = False
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                drop, self.drop_next = self.drop_next > 0, max(0, self.drop_next - 1)
                self.dropped += drop
                self._open.append(client)
            if drop:
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                client.close()  # RST: the connection is refused half-way
            elif not self.hang:
                upstream = socket.create_connection(self.target)
                self._open.append(upstream)
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()
        with self._lock:
            for s in self._open:
                s.close()
