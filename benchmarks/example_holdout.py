"""Quality on pastes the index has never seen: each runbook example is matched with the examples of its
fold removed from every runbook, and the plain BM25 baseline answers the same held-out examples.

The dev set (`kb eval`) is small and shared; this cross-validation over the library's own real examples is a
second, larger measure to check that a matcher change generalises. Signatures stay in place (they were
written from all examples), so the figure is optimistic for signature hits and honest for text similarity.

    .venv/bin/python benchmarks/example_holdout.py [--folds 4]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import RUNBOOKS
from kb.catalog import Catalog, Entry
from kb.documents import document_of
from kb.evaluate import Case, Outcome, metrics, run_baseline, run_matcher
from kb.library import Library
from kb.loader import load_runbooks
from kb.rank import Scorer
from kb.search import SearchIndex, cut_chinese


def fold_library(entries: list[Entry], fold: int, folds: int) -> tuple[Library, list[Case]]:
    """A library whose runbooks lack the examples of `fold`, and those examples as cases."""
    kept_entries, cases = [], []
    for entry in entries:
        runbook = entry.runbook
        kept = []
        for number, example in enumerate(runbook.examples):
            if number % folds == fold:
                cases.append(Case(f"{runbook.id}#{number}", example.text, (runbook.id,)))
            else:
                kept.append(example)
        kept_entries.append(Entry(runbook.model_copy(update={"examples": tuple(kept)}), entry.path))
    catalog = Catalog(kept_entries)
    index = SearchIndex.in_memory([document_of(runbook, cut_chinese) for runbook in catalog])
    return Library(catalog, index, Scorer(catalog)), cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=4, help="number of folds (default 4)")
    parser.add_argument("--failures", action="store_true", help="list the held-out examples ranked below first")
    args = parser.parse_args()
    result = load_runbooks(RUNBOOKS)
    entries = [Entry(runbook, result.catalog.path_of(runbook.id)) for runbook in result.catalog]
    ours: list[Outcome] = []
    baseline: list[Outcome] = []
    for fold in range(args.folds):
        library, cases = fold_library(entries, fold, args.folds)
        ours += run_matcher(cases, library)
        baseline += run_baseline(cases, library)
        library.close()
    mine, theirs = metrics(ours), metrics(baseline)
    print(f"held-out examples: {len(ours)} in {args.folds} folds")
    for name in ("top1", "top3", "mrr"):
        ratio = mine[name] / theirs[name] if theirs[name] else float("inf")
        print(f"{name:5} kb {mine[name]:.3f}   plain BM25 {theirs[name]:.3f}   ratio {ratio:.2f}")
    by_area: dict[str, list[bool]] = defaultdict(list)
    for outcome in ours:
        by_area[result.catalog.path_of(outcome.case.expect[0]).parent.name].append(outcome.rank == 1)
    print("top1 by area: " + ", ".join(f"{area} {sum(v)}/{len(v)}" for area, v in sorted(by_area.items())))
    if args.failures:
        for outcome in ours:
            if outcome.rank != 1:
                print(f"  {outcome.case.id}: rank {outcome.rank}, got {', '.join(outcome.got[:3])}")


if __name__ == "__main__":
    main()
