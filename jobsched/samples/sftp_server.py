"""Local SFTP server (asyncssh) serving a folder, for the custodian and bank-statement adapters.

    python -m jobsched.samples.sftp_server --port 8722 --root DIR --user custody [--password-env VAR]
        [--authorized-keys FILE | --demo-client-key FILE] [--host-key FILE] [--known-hosts-out FILE]

The user logs in with the password in $VAR or with a key listed in the authorized_keys file, and sees --root
as '/'. --port 0 picks a free port; the first line printed is 'sftp listening on HOST:PORT'. The host key is
generated on first start (ed25519) and, with --known-hosts-out, written as a known_hosts line for clients.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from pathlib import Path

import asyncssh


class _Server(asyncssh.SSHServer):
    def __init__(self, user: str, password: str | None, authorized_keys: Path | None) -> None:
        self.user, self.password, self.authorized_keys = user, password, authorized_keys
        self.conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn

    def begin_auth(self, username: str) -> bool:
        if username == self.user and self.authorized_keys is not None and self.conn is not None:
            self.conn.set_authorized_keys(str(self.authorized_keys))
        return True

    def password_auth_supported(self) -> bool:
        return self.password is not None

    def validate_password(self, username: str, password: str) -> bool:
        return username == self.user and password == self.password


def host_key(path: Path) -> asyncssh.SSHKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = asyncssh.generate_private_key("ssh-ed25519")
        key.write_private_key(str(path))
        path.chmod(0o600)
    return asyncssh.read_private_key(str(path))


def demo_client_key(path: Path) -> Path:
    """A client key pair for the demo (generated once); its public half is the authorized_keys file."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = asyncssh.generate_private_key("ssh-ed25519", comment="jobsched-demo")
        key.write_private_key(str(path))
        path.chmod(0o600)
        key.write_public_key(str(path) + ".pub")
    return Path(str(path) + ".pub").resolve()


async def serve(args: argparse.Namespace) -> None:
    root = args.root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    key = host_key(args.host_key or root.parent / f".{root.name}_host_key")
    password = os.environ.get(args.password_env) if args.password_env else None
    keys = args.authorized_keys.resolve() if args.authorized_keys else None
    if args.demo_client_key:
        keys = demo_client_key(args.demo_client_key)
    acceptor = await asyncssh.listen(
        args.host,
        args.port,
        server_host_keys=[key],
        server_factory=lambda: _Server(args.user, password, keys),
        sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(root).encode()),
        allow_scp=False,
    )
    port = acceptor.get_port()
    if args.known_hosts_out:
        line = f"[{args.host}]:{port} {key.export_public_key().decode().strip()}\n"
        args.known_hosts_out.write_text(line)
    print(f"sftp listening on {args.host}:{port} root={root}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    acceptor.close()
    await acceptor.wait_closed()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8722)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--user", default="custody")
    parser.add_argument("--password-env", help="env var holding the user's password")
    parser.add_argument("--authorized-keys", type=Path, help="authorized_keys file for key authentication")
    parser.add_argument("--host-key", type=Path, help="host key file (generated when missing)")
    parser.add_argument("--demo-client-key", type=Path, help="generate/use this client key (demo)")
    parser.add_argument("--known-hosts-out", type=Path, help="write a known_hosts line for this server here")
    args = parser.parse_args(argv)
    if not (args.password_env or args.authorized_keys or args.demo_client_key):
        parser.error("give --password-env and/or --authorized-keys / --demo-client-key")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
