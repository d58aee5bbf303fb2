"""S3-compatible object storage (boto3): one object per business date; credentials from env vars or an
AWS-style credentials file named in the parameters; botocore's standard retry mode with backoff."""

from __future__ import annotations

import configparser
from typing import Any

import boto3
import botocore.exceptions as bce
from botocore.config import Config
from pydantic import Field

from jobsched.adapters.base import AdapterParams, Log
from jobsched.adapters.errors import SourceError
from jobsched.adapters.sources.secrets import secret

MISSING = {"NoSuchKey", "404", "NotFound"}
DENIED = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403", "NoSuchBucket"}


class S3Location(AdapterParams):
    endpoint_url: str | None = Field(None, description="S3-compatible endpoint; unset: AWS")
    region: str = "us-east-1"
    bucket: str = Field(min_length=3, max_length=63)
    access_key_env: str | None = Field("AWS_ACCESS_KEY_ID", description="env var holding the access key id")
    secret_key_env: str | None = Field("AWS_SECRET_ACCESS_KEY", description="env var holding the secret key")
    credentials_file: str | None = Field(None, description="AWS credentials file (ini); wins over the envs")
    profile: str = Field("default", description="section of credentials_file")
    timeout_seconds: float = Field(30.0, gt=0, description="read timeout per request")
    connect_timeout_seconds: float = Field(5.0, gt=0)
    retries: int = Field(
        4, ge=0, le=20, description="retries on throttling, 5xx, timeouts, connection errors"
    )

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"


def client_for(loc: S3Location) -> Any:  # boto3 clients are dynamically typed
    access, secret_key = _credentials(loc)
    config = Config(
        retries={"mode": "standard", "total_max_attempts": loc.retries + 1},
        connect_timeout=loc.connect_timeout_seconds,
        read_timeout=loc.timeout_seconds,
        signature_version="s3v4",
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=loc.endpoint_url,
        region_name=loc.region,
        aws_access_key_id=access,
        aws_secret_access_key=secret_key,
        config=config,
    )


def _credentials(loc: S3Location) -> tuple[str, str]:
    where = loc.url("")
    if loc.credentials_file:
        parser = configparser.ConfigParser()
        try:
            with open(loc.credentials_file) as handle:
                parser.read_file(handle)
            section = parser[loc.profile]
            return section["aws_access_key_id"], section["aws_secret_access_key"]
        except (OSError, KeyError, configparser.Error) as exc:
            reason = f"credentials_file {loc.credentials_file} [{loc.profile}]: cannot read {exc}"
            raise SourceError(where, reason, retryable=False) from None
    access = secret(where, "S3 access key id", env=loc.access_key_env)
    secret_key = secret(where, "S3 secret key", env=loc.secret_key_env)
    if not access or not secret_key:
        raise SourceError(
            where, "no credentials: name access_key_env/secret_key_env or credentials_file", retryable=False
        )
    return access, secret_key


def get_object(loc: S3Location, key: str, log: Log) -> bytes:
    """The object's bytes, or a SourceError: missing objects and transient errors are retryable."""
    url = loc.url(key)
    log.info(f"GET {url} from {loc.endpoint_url or 'AWS'} (timeout {loc.timeout_seconds}s)")
    client = client_for(loc)
    try:
        return client.get_object(Bucket=loc.bucket, Key=key)["Body"].read()
    except bce.ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "?"))
        if code in MISSING:
            raise SourceError(url, "no such object (not delivered yet?)") from None
        if code in DENIED:
            raise SourceError(url, f"{code}: {error.get('Message', '')}", retryable=False) from None
        raise SourceError(url, f"{code}: {error.get('Message', '')} after {loc.retries} retries") from None
    except (bce.ReadTimeoutError, bce.ConnectTimeoutError):
        raise SourceError(
            url, f"timed out: no response within {loc.timeout_seconds}s, {loc.retries + 1} attempt(s)"
        ) from None
    except (bce.EndpointConnectionError, bce.ConnectionClosedError) as exc:
        raise SourceError(url, f"connection failed, {loc.retries + 1} attempt(s): {exc}") from None
    except bce.BotoCoreError as exc:
        raise SourceError(url, f"{type(exc).__name__}: {exc}") from None
    finally:
        client.close()
