"""Where file bytes live: a directory under the data dir, or S3-compatible object storage.

Keys are opaque, made by the caller (`attachments/<id>`); the database keeps the metadata.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


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


def storage_at(data_dir: Path) -> FileStorage:
    return DirectoryStorage(data_dir / "files")
