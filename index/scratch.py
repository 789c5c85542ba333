"""Scratch folders that a killed process cannot leave behind for good.

Each folder ``<prefix><random>`` has a lock file ``<prefix><random>.lock`` beside it that its owner holds
(flock) for as long as the folder is in use; the kernel drops the lock when the owner dies, however it dies.
Creating a new scratch folder first removes every folder with the same prefix whose lock nobody holds.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
from pathlib import Path

LOCK_SUFFIX = ".lock"


class ScratchDir:
    """A new empty folder ``parent/<prefix><random>``; ``release`` removes it (a later ``create`` does, if we die)."""

    def __init__(self, path: Path, lock: int) -> None:
        self.path = path
        self._lock = lock

    @classmethod
    def create(cls, parent: Path, prefix: str) -> ScratchDir:
        parent.mkdir(parents=True, exist_ok=True)
        remove_abandoned(parent, prefix)
        path = parent / f"{prefix}{secrets.token_hex(8)}"
        # The lock exists before its folder, so a folder seen without a lock belongs to no owner that is starting.
        lock = os.open(_lock_path(path), os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            path.mkdir()  # not mkdtemp: its 0700 would become the mode of an index swapped in from here
        except BaseException:
            _lock_path(path).unlink(missing_ok=True)
            os.close(lock)
            raise
        return cls(path, lock)

    def release(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        _lock_path(self.path).unlink(missing_ok=True)
        os.close(self._lock)

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def remove_abandoned(parent: Path, prefix: str) -> list[Path]:
    """Delete the scratch folders under ``parent`` named ``prefix…`` that no live process holds; return them."""
    removed = []
    for folder in sorted(parent.glob(f"{prefix}*")):
        if folder.name.endswith(LOCK_SUFFIX) or not folder.is_dir():
            continue
        lock_path = _lock_path(folder)
        try:
            lock = os.open(lock_path, os.O_RDWR)
        except FileNotFoundError:
            lock = None
        try:
            if lock is not None:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its owner is alive
            shutil.rmtree(folder, ignore_errors=True)
            lock_path.unlink(missing_ok=True)
            removed.append(folder)
        finally:
            if lock is not None:
                os.close(lock)
    return removed


def _lock_path(folder: Path) -> Path:
    # A ".old" folder (the aside step of a non-Linux index swap) shares its build's lock.
    return folder.with_name(folder.name.removesuffix(".old") + LOCK_SUFFIX)
