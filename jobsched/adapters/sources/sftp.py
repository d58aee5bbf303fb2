"""SFTP sources (asyncssh client): the newest file matching a pattern in a remote folder, partial files
ignored; password or key authentication, with the secret named by env var or file; retries with backoff."""

from __future__ import annotations

import asyncio
import fnmatch
import posixpath
import time
from dataclasses import dataclass
from typing import cast

import asyncssh
from pydantic import Field, model_validator

from jobsched.adapters.base import AdapterParams, Log
from jobsched.adapters.errors import SourceError
from jobsched.adapters.sources.folder import IGNORED_SUFFIXES
from jobsched.adapters.sources.secrets import backoff_delay, secret


class SftpConnection(AdapterParams):
    """Where and how to log in. Secrets are named (env var or file), never stored in params."""

    host: str = Field(min_length=1)
    port: int = Field(22, ge=1, le=65535)
    username: str = Field(min_length=1)
    password_env: str | None = Field(None, description="env var holding the password")
    password_file: str | None = Field(None, description="file holding the password")
    key_file: str | None = Field(None, description="private key file (OpenSSH/PEM) for key authentication")
    key_passphrase_env: str | None = Field(None, description="env var holding the key's passphrase")
    known_hosts: str | None = Field(None, description="known_hosts file; unset: the host key is not checked")
    remote_dir: str = Field(".", description="folder on the server the files are delivered into")
    timeout_seconds: float = Field(30.0, gt=0, description="bound on one attempt (connect, list, download)")
    retries: int = Field(3, ge=0, le=20, description="retries on connection errors and timeouts")
    backoff_seconds: float = Field(1.0, ge=0)
    backoff_max_seconds: float = Field(60.0, gt=0)

    @model_validator(mode="after")
    def _one_credential(self) -> SftpConnection:
        if not (self.password_env or self.password_file or self.key_file):
            raise ValueError("name a credential: password_env, password_file or key_file")
        return self

    def url(self, name: str = "") -> str:
        path = posixpath.normpath(posixpath.join(self.remote_dir, name))
        return f"sftp://{self.username}@{self.host}:{self.port}/{path.lstrip('/')}"


@dataclass(frozen=True)
class RemoteFile:
    name: str
    data: bytes
    url: str


class _Permanent(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


def fetch_newest(conn: SftpConnection, pattern: str, log: Log) -> RemoteFile:
    """The newest regular file in `remote_dir` matching the glob `pattern` (`.part`/`.tmp` ignored)."""
    url = conn.url()
    password = secret(url, "SFTP password", env=conn.password_env, file=conn.password_file)
    passphrase = secret(url, "key passphrase", env=conn.key_passphrase_env)
    last = ""
    for attempt in range(conn.retries + 1):
        if attempt:
            delay = backoff_delay(attempt, conn.backoff_seconds, conn.backoff_max_seconds)
            log.warning(f"SFTP {url}: {last}; retry {attempt}/{conn.retries} in {delay:.2f}s")
            time.sleep(delay)
        log.info(f"SFTP {url}: looking for {pattern!r} ({_auth_note(conn)})")
        try:
            found = asyncio.run(
                asyncio.wait_for(_fetch(conn, pattern, password, passphrase), conn.timeout_seconds)
            )
        except _Permanent as exc:
            raise SourceError(url, exc.reason, retryable=False) from None
        except TimeoutError:
            last = f"timed out: no complete answer within {conn.timeout_seconds}s"
            continue
        except (OSError, asyncssh.Error) as exc:
            last = f"connection failed: {_reason(exc)}"
            continue
        if found is None:
            raise SourceError(url, f"no file matching {pattern!r} (partial files ignored)")
        return found
    raise SourceError(url, f"{last}, {conn.retries + 1} attempt(s)")


async def _fetch(
    conn: SftpConnection, pattern: str, password: str | None, passphrase: str | None
) -> RemoteFile | None:
    try:
        keys = [asyncssh.read_private_key(conn.key_file, passphrase)] if conn.key_file else []
    except (OSError, asyncssh.KeyImportError) as exc:
        raise _Permanent(f"cannot use key_file {conn.key_file}: {_reason(exc)}") from None
    try:
        async with asyncssh.connect(
            conn.host,
            port=conn.port,
            username=conn.username,
            password=password,
            client_keys=keys,
            agent_path=None,
            known_hosts=conn.known_hosts,
            connect_timeout=conn.timeout_seconds,
            preferred_auth="publickey,password" if keys else "password",
        ) as ssh:
            async with ssh.start_sftp_client() as sftp:
                return await _newest(sftp, conn, pattern)
    except asyncssh.PermissionDenied:
        how = f"key {conn.key_file}" if conn.key_file else f"password from {_auth_note(conn)}"
        raise _Permanent(f"authentication failed for user {conn.username!r} ({how})") from None
    except asyncssh.HostKeyNotVerifiable as exc:
        raise _Permanent(f"host key not accepted by known_hosts {conn.known_hosts}: {exc.reason}") from None
    except asyncssh.SFTPNoSuchFile:
        raise _Permanent(f"remote folder {conn.remote_dir!r} does not exist") from None


async def _newest(sftp: asyncssh.SFTPClient, conn: SftpConnection, pattern: str) -> RemoteFile | None:
    entries = [
        (str(e.filename), e.attrs.mtime or 0)  # a str folder lists str names
        for e in await sftp.readdir(conn.remote_dir)
        if e.attrs.type == asyncssh.FILEXFER_TYPE_REGULAR
    ]
    entries = [
        (name, mtime)
        for name, mtime in entries
        if fnmatch.fnmatchcase(name, pattern)
        and not name.startswith(".")
        and not name.endswith(IGNORED_SUFFIXES)
    ]
    if not entries:
        return None
    name, _ = max(entries, key=lambda e: (e[1], e[0]))
    path = posixpath.join(conn.remote_dir, name)
    async with sftp.open(path, "rb") as handle:
        data = cast(bytes, await handle.read())  # opened "rb"
    return RemoteFile(name, data, conn.url(name))


def _auth_note(conn: SftpConnection) -> str:
    if conn.key_file:
        return f"key {conn.key_file}"
    return f"${conn.password_env}" if conn.password_env else f"password file {conn.password_file}"


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
