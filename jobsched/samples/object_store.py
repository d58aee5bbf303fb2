"""Seed the demo's S3-compatible store (moto's standalone server in `make run`) with index constituents.

    python -m jobsched.samples.object_store --endpoint http://127.0.0.1:8766 [--bucket index-provider]

Credentials come from $JOBSCHED_S3_ACCESS_KEY / $JOBSCHED_S3_SECRET_KEY (moto accepts any).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable
from datetime import date

import boto3

from jobsched.samples.feeds import index_constituents_csv_gz

DEMO_BUCKET = "index-provider"
DEMO_INDICES = ("NIFTY50", "NIFTYBANK")


def constituents_key(index: str, day: date) -> str:
    return f"constituents/{index}/{day:%Y%m%d}.csv.gz"


def s3_client(endpoint: str, access_key: str, secret_key: str, region: str = "us-east-1"):  # type: ignore[no-untyped-def]
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
    )


def seed_constituents(client, bucket: str, indices: Iterable[str], days: Iterable[date]) -> int:  # type: ignore[no-untyped-def]
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        client.create_bucket(Bucket=bucket)
    written = 0
    for day in days:
        for index in indices:
            client.put_object(
                Bucket=bucket,
                Key=constituents_key(index, day),
                Body=index_constituents_csv_gz(index, day),
                ContentType="application/gzip",
            )
            written += 1
    return written


def main(argv: list[str] | None = None) -> None:
    from jobsched.samples.seed import weekdays

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--bucket", default=DEMO_BUCKET)
    parser.add_argument("--days-back", type=int, default=10)
    parser.add_argument("--days-ahead", type=int, default=30)
    args = parser.parse_args(argv)
    client = s3_client(
        args.endpoint,
        os.environ.get("JOBSCHED_S3_ACCESS_KEY", "demo-access-key"),
        os.environ.get("JOBSCHED_S3_SECRET_KEY", "demo-secret-key"),
    )
    count = seed_constituents(
        client, args.bucket, DEMO_INDICES, weekdays(date.today(), args.days_back, args.days_ahead)
    )
    print(f"seeded s3://{args.bucket} at {args.endpoint}: {count} objects", flush=True)


if __name__ == "__main__":
    main()
