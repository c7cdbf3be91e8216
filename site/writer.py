"""The process that writes a site's files: `kb site build` sends it each file and goes on rendering.

Run by `build.Writer` as `python -m kb_site.writer OUT`. On stdin, for each file: a line `<path bytes>
<content bytes>`, the path (UTF-8, relative to OUT), then the content; the end of stdin ends the run. On
stdout, once at the end: one JSON line `{"error": null or why}` (the build counts files and bytes itself).
After the first failure the rest of the input is read and dropped, so the build never waits on a writer that
has stopped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import BinaryIO


def write_files(out: Path, source: BinaryIO) -> str | None:
    """Write every file read from `source` under `out`; the first failure, or None."""
    folders: set[Path] = set()
    error: str | None = None
    while header := source.readline():
        path_size, content_size = (int(number) for number in header.split())
        path, content = source.read(path_size).decode("utf-8"), source.read(content_size)
        if error is not None:
            continue
        try:
            target = out / path
            if target.parent not in folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.add(target.parent)
            target.write_bytes(content)
        except OSError as exc:
            error = str(exc)
    return error


if __name__ == "__main__":
    sys.stdout.write(json.dumps({"error": write_files(Path(sys.argv[1]), sys.stdin.buffer)}) + "\n")
