"""Site build time: `kb site build` on the real library and on 1,000 synthetic runbooks, against MkDocs
building the same 1,000 runbooks as markdown pages in the same run; and the home page's first weight.

kb's build makes a page per runbook holding both languages, the index, tag, severity and reference pages
in English and Chinese, the offline matcher's data and a Pagefind index per language; MkDocs (default
theme, its default lunr search plugin) builds one markdown page per runbook. Both start from the runbook
files: kb's time includes loading the library and its term statistics (kb never builds or reads a cached
index here); for MkDocs, writing the markdown is not counted.
Each build of the 1,000 runbooks runs ROUNDS times, kb and MkDocs taking turns, each into a fresh folder, and
the best time of each counts: on a virtual machine the first write of ~100 MB into new page-cache memory
costs seconds of kernel time that later runs do not pay, and taking turns gives both tools the same odds.
First page weight: the home page with what it loads before the paste box or search is used (the offline
matcher, re2js and the search index load on first use). Target: kb faster than MkDocs; weight < 200 KB.
Run: .venv/bin/python benchmarks/site_build.py [SIZE]   (needs `pip install mkdocs`, benchmark only)
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import RUNBOOKS, argument
from kb_site.build import Options, build
from scale import synthesize

from kb import load_runbooks
from kb.model import Runbook

ROUNDS = 3
# What the browser fetches for the home page before anyone types: the page, its stylesheet and scripts.
FIRST_LOAD = re.compile(r'(?:href|src)="((?:\.\./)*assets/[^"]+\.(?:css|js))"')


def markdown_page(runbook: Runbook) -> str:
    """The runbook as one markdown page, the way a MkDocs site of runbooks would hold it."""
    lines = [f"# {runbook.title}", "", runbook.summary, "", "## Symptoms", ""]
    lines += [f"- {symptom}" for symptom in runbook.symptoms]
    lines += ["", "## Cause", "", runbook.cause or "", "", "## Diagnosis", ""]
    for number, step in enumerate([*runbook.diagnosis, *runbook.fix], 1):
        lines += [f"{number}. {step.text}", ""]
        lines += (
            ["    ```shell", *(f"    {command}" for command in step.commands), "    ```", ""] if step.commands else []
        )
        manifest = getattr(step, "manifest", None)
        if manifest:
            lines += ["    ```yaml", *(f"    {line}" for line in manifest.splitlines()), "    ```", ""]
    lines += ["## References", "", *(f"- [{ref.title}]({ref.url})" for ref in runbook.references), ""]
    return "\n".join(lines)


def mkdocs_build(runbooks_dir: Path, work: Path) -> float:
    docs = work / "docs"
    docs.mkdir()
    runbooks = list(load_runbooks(runbooks_dir).catalog)
    (docs / "index.md").write_text("# Runbooks\n\n" + "\n".join(f"- [{r.title}]({r.id}.md)" for r in runbooks))
    for runbook in runbooks:
        (docs / f"{runbook.id}.md").write_text(markdown_page(runbook), encoding="utf-8")
    (work / "mkdocs.yml").write_text("site_name: Runbooks\ntheme: mkdocs\n", encoding="utf-8")
    config, site = str(work / "mkdocs.yml"), str(work / "site")
    return timed([sys.executable, "-m", "mkdocs", "build", "-q", "-f", config, "-d", site])


def kb_build(runbooks_dir: Path, out: Path) -> float:
    """`kb site build` as a user runs it, in a process of its own (interpreter start and imports included),
    as MkDocs is run."""
    return timed([sys.executable, "-m", "kb", "site", "build", "--runbooks", str(runbooks_dir), "--out", str(out)])


def timed(command: list[str]) -> float:
    """Seconds `command` took; a failed run stops the benchmark with its error output."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[2:4])} failed: {done.stderr.strip()}")
    return seconds


def kb_build_without_search(runbooks_dir: Path, out: Path) -> float:
    """The build in this process without Pagefind's index (no such option on the command line)."""
    start = time.perf_counter()
    build(Options(runbooks_dir, out, search=False))
    return time.perf_counter() - start


def first_weight(out: Path) -> int:
    home = out / "index.html"
    text = home.read_text(encoding="utf-8")
    files = {home} | {(out / path).resolve() for path in FIRST_LOAD.findall(text)}
    return sum(file.stat().st_size for file in files)


def main() -> None:
    size = argument(__doc__, 1000, int)
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        real = kb_build(RUNBOOKS, work / "real")
        weight = first_weight(work / "real")
        root = work / "runbooks"
        synthesize(root, size)
        ours, peer = [], []
        for round_ in range(ROUNDS):
            ours.append(kb_build(root, work / f"synthetic-{round_}"))
            (work / f"mkdocs-{round_}").mkdir()
            peer.append(mkdocs_build(root, work / f"mkdocs-{round_}"))
        ours_plain = kb_build_without_search(root, work / "synthetic-plain")
        shown = lambda times: ", ".join(f"{t:.1f}" for t in times)  # noqa: E731
        print(f"real library ({len(load_runbooks(RUNBOOKS).catalog)} runbooks): kb site build {real:.1f} s")
        print(f"{size} runbooks, best of {ROUNDS} (all runs in order):")
        print(f"  MkDocs (1 language, lunr index): {min(peer):.1f} s ({shown(peer)})")
        print(f"  kb site build (own process, library load, 2 languages, Pagefind): {min(ours):.1f} s ({shown(ours)}), "
              f"ratio kb/MkDocs {min(ours) / min(peer):.2f}")  # fmt: skip
        print(f"  kb without Pagefind (in this process, library load, 2 languages, one run): {ours_plain:.1f} s, "
              f"ratio kb/MkDocs {ours_plain / min(peer):.2f}")  # fmt: skip
        print(f"first page weight: {weight / 1024:.1f} KB (target < 200 KB)")


if __name__ == "__main__":
    main()
