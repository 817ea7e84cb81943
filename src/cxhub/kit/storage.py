"""Where file bytes live: a directory under the data dir, or S3-compatible object storage.

Keys are opaque, made by the caller (`attachments/<id>`); the database keeps the metadata.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit


class FileStorage(Protocol):
    def write(self, key: str, data: bytes, *, content_type: str) -> None: ...

    def read(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


class DirectoryStorage:
    """Files under a directory: the embedded default, for one machine."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError("a storage key stays inside the storage directory")
        return path

    def write(self, key: str, data: bytes, *, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".partial")
        partial.write_bytes(data)
        partial.replace(path)  # readers never see half a file

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class ObjectStorage:
    """Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2 ...): for several machines.

    Credentials come from the usual AWS variables or instance roles; only the bucket, an optional
    key prefix and an optional endpoint are configured here.
    """

    def __init__(self, url: str, *, endpoint_url: str | None = None, region: str | None = None) -> None:
        import boto3  # only deployments that use object storage load the SDK

        parsed = urlsplit(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError("object storage is named s3://BUCKET[/PREFIX]")
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def write(self, key: str, data: bytes, *, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type)

    def read(self, key: str) -> bytes:
        body: bytes = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        return body

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


def open_storage(
    *, data_dir: Path, url: str | None = None, endpoint_url: str | None = None, region: str | None = None
) -> FileStorage:
    """The directory under the data dir, or the bucket `url` names (s3://BUCKET/PREFIX)."""
    if url:
        return ObjectStorage(url, endpoint_url=endpoint_url, region=region)
    return DirectoryStorage(data_dir / "files")
