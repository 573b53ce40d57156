"""Operations: ``wardbot backup`` and ``wardbot restore`` (every database through SQLite's backup
API, the ward's files, a checksummed ``manifest.json``)."""

from ._backup import BackupError, backup, read_manifest, restore

__all__ = ("BackupError", "backup", "read_manifest", "restore")
