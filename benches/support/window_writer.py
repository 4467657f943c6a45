"""Writes records to one file on the card the way a durable readings window could, for
benches/card_floor.sh: a record every POLL seconds, made durable once per WINDOW seconds.

    window_writer.py PATTERN FILE SECONDS POLL WINDOW RECORD_BYTES READY_FILE

Patterns:
  in-place    the file is written full of zeros first (its blocks allocated and written, so
              later writes change no metadata); at each window's end the window's records are
              written after the last ones in one pwrite, then fdatasync.
  append      the same into a new, empty file, which grows at every window.
  per-record  the file written full first; each record is written when it is taken (in the
              kernel at once, as the readings journal is), fdatasync at each window's end.
"""

import os
import sys
import time

pattern, path, seconds, poll, window, record_bytes, ready = sys.argv[1:]
seconds, poll, window, record_bytes = float(seconds), float(poll), float(window), int(record_bytes)
SIZE = 4 << 20

fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
if pattern != "append":
    os.pwrite(fd, bytes(SIZE), 0)
os.fsync(fd)
dir_fd = os.open(os.path.dirname(path), os.O_RDONLY)
os.fsync(dir_fd)
open(ready, "w").close()

offset = 0


def write(data):
    """Writes data after the last write, going back to the start of the file (a ring) rather
    than past its end, where the file would grow and change metadata after all."""
    global offset
    if pattern != "append" and offset + len(data) > SIZE:
        offset = 0
    os.pwrite(fd, data, offset)
    offset += len(data)


start = time.monotonic()
waiting = b""
taken = 0
last_sync = start
while time.monotonic() - start < seconds:
    taken += 1
    record = (b"%08d" % taken) * (record_bytes // 8) + b"\n" * (record_bytes % 8)
    if pattern == "per-record":
        write(record)
    else:
        waiting += record
    if time.monotonic() - last_sync >= window - poll / 2:
        if waiting:
            write(waiting)
            waiting = b""
        os.fdatasync(fd)
        last_sync = time.monotonic()
    time.sleep(poll)
print(taken)
