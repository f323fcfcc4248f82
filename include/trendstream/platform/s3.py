"""s3rver: a disk-backed S3 endpoint so the broker's durable mode survives restarts."""

from __future__ import annotations

import httpx

from trendstream.core.settings import Settings
from trendstream.platform.environment import find_program, repo_root
from trendstream.platform.process import ProcessSpec

NAME = "s3"
S3_BUCKET = "tansu"
# s3rver's documented default credentials (signatures are not checked anyway).
_ACCESS_KEY = "S3RVER"


def s3_endpoint(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.broker.s3_port}"


def s3_client_env(settings: Settings) -> dict[str, str]:
    """What Tansu's object-store client needs to talk to the local s3rver."""
    return {
        "AWS_ENDPOINT": s3_endpoint(settings),
        "AWS_ALLOW_HTTP": "true",
        "AWS_ACCESS_KEY_ID": _ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": _ACCESS_KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def s3_healthy(endpoint: str, timeout_s: float = 2.0) -> bool:
    """True when the bucket answers a listing request."""
    response = httpx.get(f"{endpoint}/{S3_BUCKET}?max-keys=1", timeout=timeout_s)
    return response.status_code == 200


def s3_spec(settings: Settings) -> ProcessSpec:
    data_dir = settings.state_dir / "s3"
    data_dir.mkdir(parents=True, exist_ok=True)
    endpoint = s3_endpoint(settings)
    return ProcessSpec(
        name=NAME,
        argv=[
            find_program("s3rver", repo_root() / "node_modules" / ".bin"),
            "-d",
            str(data_dir),
            "-a",
            "127.0.0.1",
            "-p",
            str(settings.broker.s3_port),
            "--configure-bucket",
            S3_BUCKET,
            "--allow-mismatched-signatures",
            "--no-vhost-buckets",
        ],
        endpoint=endpoint,
        health=lambda: s3_healthy(endpoint),
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        port=settings.broker.s3_port,
        start_timeout_s=30.0,
    )
