"""The process that writes a site's files: `kb site build` sends it each file and goes on rendering.

Run by `build.Writer` as `python -m kb_site.writer OUT`. On stdin, for each file: a line `<path bytes>
<content bytes>`, the path (UTF-8, relative to OUT), then the content; the end of stdin ends the run. On
stdout, once at the end: one JSON line `{"files": n, "bytes": n, "error": null or why}`. After the first
failure the rest of the input is read and dropped, so the build never waits on a writer that has stopped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import BinaryIO


def write_files(out: Path, source: BinaryIO) -> dict[str, object]:
    """Write every file read from `source` under `out`; what was written and the first failure."""
    folders: set[Path] = set()
    files = size = 0
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
            continue
        files, size = files + 1, size + len(content)
    return {"files": files, "bytes": size, "error": error}


if __name__ == "__main__":
    result = write_files(Path(sys.argv[1]), sys.stdin.buffer)
    sys.stdout.write(json.dumps(result) + "\n")
