"""Allure's result files, written by a process of their own beside the run.

A default run writes 2,000 result files. Making a file costs the run 0.1 to 0.6 ms of the file system's time,
depending on what the machine's neighbours do to its disk (measured: 0.5 s to 1.2 s a run, the largest and least
steady part of what Allure costs). A thread would not help: each of the four system calls per file gives the
interpreter lock away and waits for it back. So the run hands each file to a small writer process through a pipe
(one write per file), and the files are made on the other core while the scenarios go on.

Nothing is lost on the way:

* each file's frame is flushed into the pipe as it is handed over, so what the run handed over is in the kernel's
  hands even if the run then dies at once (`os._exit`, SIGKILL): the writer reads the pipe to its end and makes
  every whole frame in it;
* the writer runs in a session of its own, so Ctrl-C in the terminal, or a kill of the run's process group,
  does not stop it before it has read what was sent;
* every frame carries a CRC-32 of its name and bytes: a frame cut by a signal mid-write stops the writer at that
  frame rather than making a file from misread bytes;
* the run keeps every file it handed over until the writer, at the end, says how many it made; if it made fewer
  (it died, it could not start, a frame was cut), the run writes them all itself. A file is written under a
  temporary name and renamed into place, so writing one twice leaves one whole file.

A `ResultFiles` belongs to the process that made it: a forked child neither waits for nor closes its parent's.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import IO

_HEAD = struct.Struct("!HII")  # name length, data length, CRC-32 of name + data

# Runs with -I -S (no site, no environment): the standard library only, and nothing of the suite's.
_WRITER = r"""
import os, struct, sys, zlib
directory, head = sys.argv[1], struct.Struct("!HII")
read, made, whole = sys.stdin.buffer.read, 0, True
while True:
    h = read(head.size)
    if len(h) < head.size:
        whole = not h
        break
    size_name, size_data, crc = head.unpack(h)
    name, data = read(size_name), read(size_data)
    if len(data) < size_data or zlib.crc32(data, zlib.crc32(name)) != crc:
        whole = False
        break
    path = os.path.join(directory, name.decode("utf-8"))
    with open(path + ".tmp", "wb") as out:
        out.write(data)
    os.replace(path + ".tmp", path)
    made += 1
sys.stdout.write(str(made))
sys.exit(0 if whole else 3)
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
        self.owner = os.getpid()
        self._handed: list[tuple[str, bytes]] = []
        self._pipe: IO[bytes] | None = None
        self._writer: subprocess.Popen[bytes] | None = None
        try:
            self._writer = subprocess.Popen([sys.executable, "-I", "-S", "-c", _WRITER, str(directory)],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                            start_new_session=True)
            self._pipe = self._writer.stdin
        except OSError:
            self._writer = None

    def write(self, name: str, data: bytes) -> None:
        if self._pipe is not None and os.getpid() == self.owner:
            encoded = name.encode("utf-8")
            try:
                self._handed.append((name, data))  # before the write: a frame cut mid-way is still made at `close`
                self._pipe.write(_HEAD.pack(len(encoded), len(data), zlib.crc32(data, zlib.crc32(encoded))) + encoded + data)
                self._pipe.flush()
                return
            except (OSError, ValueError):  # the writer is gone: from here on this process writes, `close` the rest
                self._pipe = None
        write_file(self.directory, name, data)

    def close(self) -> int:
        """Wait for the writer and make every file it did not; how many files this process made. Safe to call
        again after an interruption: what was handed over stays until it is known to be on disk."""
        if os.getpid() != self.owner:
            return 0  # a forked child's copy: the parent's writer is the parent's to wait for
        writer, self._pipe = self._writer, None
        made = 0
        if writer is not None:
            try:
                out, _ = writer.communicate(timeout=600)  # a bound for a writer that hangs, never a pause
                made = int(out or b"0") if writer.returncode == 0 else -1
            except (OSError, ValueError, subprocess.TimeoutExpired):
                made = -1
            finally:
                if writer.poll() is None:
                    writer.kill()
                    writer.wait()
                self._writer = None
        if made != len(self._handed):
            for name, data in self._handed:
                write_file(self.directory, name, data)
        remade, self._handed = (0 if made == len(self._handed) else len(self._handed)), []
        return remade
