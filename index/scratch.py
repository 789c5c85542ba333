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
        while True:
            path = parent / f"{prefix}{secrets.token_hex(8)}"
            # The lock exists before its folder, so a folder seen without a lock has no owner that is starting.
            lock = os.open(_lock_path(path), os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(lock, fcntl.LOCK_EX)
            # Another process's cleanup may have taken the fresh lock file for an orphan and unlinked it before we
            # held it: then start again under a new name.
            if _same_file(lock, _lock_path(path)):
                break
            os.close(lock)
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
    for path in sorted(parent.glob(f"{prefix}*{LOCK_SUFFIX}")):
        # A lock whose folder is gone: its owner died between creating the lock and the folder, or between
        # removing the folder and the lock.
        if not path.with_name(path.name.removesuffix(LOCK_SUFFIX)).exists():
            _unlink_if_unheld(path)
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


def _same_file(descriptor: int, path: Path) -> bool:
    try:
        on_disk = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(descriptor)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _unlink_if_unheld(lock_path: Path) -> None:
    try:
        lock = os.open(lock_path, os.O_RDWR)
    except FileNotFoundError:
        return
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock_path.unlink(missing_ok=True)
    except BlockingIOError:
        pass  # its owner is alive and about to create its folder
    finally:
        os.close(lock)


def _lock_path(folder: Path) -> Path:
    # A ".old" folder (the aside step of a non-Linux index swap) shares its build's lock.
    return folder.with_name(folder.name.removesuffix(".old") + LOCK_SUFFIX)
