"""Allure's result files, written by a process of their own beside the run.

A default run writes 2,000 result files. Making a file costs the run 0.1 to 0.6 ms of the file system's time,
depending on what the machine's neighbours do to its disk (measured: 0.5 s to 1.2 s a run, the largest and least
steady part of what Allure costs). A thread would not help: each of the four system calls per file gives the
interpreter lock away and waits for it back. So the run hands each file to a small writer process through a pipe
(one write into a buffer), and the files are made on the other core while the scenarios go on.

Nothing is lost on the way: the run keeps every file it handed over until the writer, at the end, says how many it
made. If it made fewer (it died, it could not start, the pipe broke), the run writes them all itself; a file is
written under a temporary name and renamed into place, so writing one twice leaves one whole file.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import IO

_HEAD = struct.Struct("!HI")  # name length, data length

# Runs with -I -S (no site, no environment): the standard library only, and nothing of the suite's.
_WRITER = r"""
import os, struct, sys
directory, head = sys.argv[1], struct.Struct("!HI")
read, made = sys.stdin.buffer.read, 0
while True:
    h = read(head.size)
    if len(h) < head.size:
        break
    size_name, size_data = head.unpack(h)
    name, data = read(size_name).decode("utf-8"), read(size_data)
    if len(data) < size_data:
        break
    path = os.path.join(directory, name)
    with open(path + ".tmp", "wb") as out:
        out.write(data)
    os.replace(path + ".tmp", path)
    made += 1
sys.stdout.write(str(made))
"""


def write_file(directory: Path, name: str, data: bytes) -> None:
    """One file written whole: under a temporary name, then renamed into place."""
    tmp, final = directory / f"{name}.tmp", directory / name
    with open(tmp, "wb") as out:
        out.write(data)
    os.replace(tmp, final)


class ResultFiles:
    """The files of one Allure results directory, made by a writer process; `close` waits for it and makes
    whatever it did not. After `close` (or without a writer) each file is written at once, in this process."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._handed: list[tuple[str, bytes]] = []
        self._pipe: IO[bytes] | None = None
        self._writer: subprocess.Popen[bytes] | None = None
        try:
            self._writer = subprocess.Popen([sys.executable, "-I", "-S", "-c", _WRITER, str(directory)],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                            bufsize=1 << 16)
            self._pipe = self._writer.stdin
        except OSError:
            self._writer = None

    def write(self, name: str, data: bytes) -> None:
        if self._pipe is not None:
            encoded = name.encode("utf-8")
            try:
                self._pipe.write(_HEAD.pack(len(encoded), len(data)) + encoded + data)
                self._handed.append((name, data))
                return
            except (OSError, ValueError):  # the writer is gone: from here on this process writes, `close` the rest
                self._pipe = None
        write_file(self.directory, name, data)

    def close(self) -> int:
        """Wait for the writer and make every file it did not; how many files this process made."""
        writer, self._writer, self._pipe = self._writer, None, None
        made = 0
        if writer is not None:
            try:
                out, _ = writer.communicate(timeout=600)  # a bound for a writer that hangs, never a pause
                made = int(out or b"0") if writer.returncode == 0 else 0
            except (OSError, ValueError, subprocess.TimeoutExpired):
                writer.kill()
                writer.wait()
        handed, self._handed = self._handed, []
        if made == len(handed):
            return 0
        for name, data in handed:
            write_file(self.directory, name, data)
        return len(handed)
