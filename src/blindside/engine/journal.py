"""Append-only journal of finished answers, so a crash never loses paid work.

Answers reach the database in batches (the writer must never limit
throughput), so a process killed between two batches would lose answers
already paid for, and a rerun would request them again. Each finished
answer is therefore first appended, as one JSON line, to a journal file: an
``os.write`` of a few hundred bytes that survives the process being killed
(the kernel holds the data; only a machine crash could lose it). The next
run replays the journal into the database before planning, then removes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine, make_url


def journal_dir(database_url: str) -> Path:
    """Where journals live: beside a SQLite file, else ``./.blindside-journal``."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / ".blindside-journal"
    return Path.cwd() / ".blindside-journal"


def journal_path(engine: Engine, run_id: int) -> Path:
    """The journal file of one run of one database."""
    url = engine.url.render_as_string(hide_password=True)
    # Two databases served from one directory must not share journals.
    tag = f"{hash_text(url) % 10**10:010d}"
    return journal_dir(url) / f"run-{tag}-{run_id}.jsonl"


def hash_text(text: str) -> int:
    """A stable (process-independent) integer hash of a string."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


class Journal:
    """An append-only JSON-lines file, safe to append to from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd: int | None = None

    def append(self, record: dict[str, Any]) -> None:
        """Write one record as one line with a single ``write`` call."""
        line = (json.dumps(record, separators=(",", ":")) + "\n").encode()
        with self._lock:
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.write(self._fd, line)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def remove(self) -> None:
        """Delete the file once every record in it is in the database."""
        self.close()
        self.path.unlink(missing_ok=True)


def read_journal(path: Path) -> Iterator[dict[str, Any]]:
    """Records of a journal; a line cut short by a crash is skipped."""
    if not path.exists():
        return
    with path.open("rb") as handle:
        for raw in handle:
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record
