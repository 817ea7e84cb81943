"""File storage: a directory by default, an S3-compatible bucket (a real S3 endpoint on loopback) for many machines."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from fastapi.testclient import TestClient
from moto.server import ThreadedMotoServer

from cxhub.config import Settings
from cxhub.kit.storage import DirectoryStorage, ObjectStorage, open_storage


def test_directory_storage_round_trip_and_keys_stay_inside(tmp_path: Path) -> None:
    storage = open_storage(data_dir=tmp_path)
    assert isinstance(storage, DirectoryStorage)
    storage.write("attachments/ab/one", b"bytes", content_type="text/plain")
    assert storage.read("attachments/ab/one") == b"bytes"
    assert not list(tmp_path.rglob("*.partial"))
    with pytest.raises(ValueError, match="inside"):
        storage.write("../../escape", b"x", content_type="text/plain")
    storage.delete("attachments/ab/one")
    with pytest.raises(FileNotFoundError):
        storage.read("attachments/ab/one")


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """(endpoint, bucket): an S3 server on a free loopback port with a new bucket."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    bucket = f"cxhub-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-1").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    yield endpoint, bucket
    server.stop()


def test_object_storage_over_the_s3_protocol(s3_endpoint: tuple[str, str]) -> None:
    endpoint, bucket = s3_endpoint
    storage = open_storage(data_dir=Path("unused"), url=f"s3://{bucket}/tenant-a", endpoint_url=endpoint)
    assert isinstance(storage, ObjectStorage)
    storage.write("attachments/x/1", b"\x89PNG", content_type="image/png")
    assert storage.read("attachments/x/1") == b"\x89PNG"
    raw = boto3.client("s3", endpoint_url=endpoint).get_object(Bucket=bucket, Key="tenant-a/attachments/x/1")
    assert raw["ContentType"] == "image/png"
    storage.delete("attachments/x/1")
    with pytest.raises(Exception, match="NoSuchKey"):
        storage.read("attachments/x/1")
    with pytest.raises(ValueError, match="s3://"):
        open_storage(data_dir=Path("unused"), url="ftp://nowhere")


def test_attachments_go_to_the_bucket_when_configured(
    s3_endpoint: str,
    client: TestClient,
    token_for,
    app,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    endpoint, bucket = s3_endpoint
    settings = Settings(storage_url=f"s3://{bucket}/hub", storage_endpoint_url=endpoint)
    monkeypatch.setattr(app.state, "settings", settings)
    admin = token_for("admin@lumen.example")
    created = client.post(
        "/api/v1/interactions",
        json={
            "channel": "chat",
            "external_id": "s3-1",
            "occurred_at": "2026-11-20T09:00:00+00:00",
            "direction": "inbound",
            "customer": {"visitor_id": "v-s3"},
        },
        headers=admin,
    ).json()
    uploaded = client.post(
        f"/api/v1/conversations/{created['conversation_id']}/attachments",
        files={"file": ("label.pdf", b"%PDF-1.7 label", "application/pdf")},
        headers=admin,
    )
    assert uploaded.status_code == 201, uploaded.text
    listed = boto3.client("s3", endpoint_url=endpoint).list_objects_v2(Bucket=bucket, Prefix="hub/")
    assert [o["Size"] for o in listed["Contents"]] == [len(b"%PDF-1.7 label")]
    download = client.get(f"/api/v1/attachments/{uploaded.json()['id']}", headers=admin)
    assert download.content == b"%PDF-1.7 label"
