"""Write kb/data/istio-facts.json: what each Istio release ships, read from Istio's own files at its tags.

    python scripts/istio_facts.py ISTIO_GIT_DIR API_GIT_DIR [--out kb/data/istio-facts.json]

ISTIO_GIT_DIR and API_GIT_DIR are clones (bare is fine) of github.com/istio/istio and github.com/istio/api.
Only release tags are read (`1.22.0`, `1.22.3`, ...; no alpha/beta/rc), so the facts say what shipped:

- analyzer codes: `pkg/config/analysis/msg/messages.yaml` at every patch tag, and whether any Go code outside
  the generated catalog calls the code's constructor (`msg.NewDestinationRuleSubsetNotSelectPods(`) there:
  a code ships when an analyzer can report it. For each code the first release of every minor line that
  reports it (`lines`), and the lines whose catalog defines it while nothing reports it (`catalog_only`:
  IST0173 and IST0174 entered the 1.25.4 and 1.26.1 catalogs with a backport, their analyzer only in 1.27.0);
- istioctl commands: at each minor's `.0`, the full command paths (`experimental waypoint status`,
  `waypoint status`) with each parent's aliases (`x` -> `experimental`), followed from the root command's
  AddCommand wiring (scripts/istioctl_tree.py);
- terms: status conditions, labels, messages and fields runbooks name, with the minor lines that have them;
- flags: every environment variable Istio's Go code registers (`env.Register*`, or `os.Getenv` before 1.2)
  at every release tag, with its default, as change points in version order:
  [[first release, default], [release that changed it, default], [release it left, null], ...];
- stats_kept: at each minor's `.0`, the prefixes, suffixes and regexes of the stats matcher a proxy gets with no
  stats annotation and no proxyStatsMatcher (the bootstrap template's own patterns and pkg/bootstrap's
  `requiredEnvoyStatsMatcherInclusion*`), each with the minor-line spans that keep it; patterns only some proxies
  get, with their condition; and the files read.

The output records the tags read and the commit each one points at.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml
from istioctl_tree import command_tree

STABLE = re.compile(r"^v?([0-9]+)\.([0-9]+)\.([0-9]+)$")
CONSTRUCTOR = r"\bNew[A-Z][A-Za-z0-9]*\("
# The name and the default may sit on lines of their own: `env.Register(\n\t"NAME",\n\t0.0,\n\t"help")`.
REGISTER = re.compile(r'env\.Register\w*\(\s*"([A-Z][A-Z0-9_]+)"\s*,\s*([^,\n]+),')
GETENV = re.compile(r'os\.(?:Getenv|LookupEnv)\("([A-Z][A-Z0-9_]+)"\)')
NOT_SHIPPED = (":(exclude)vendor", ":(exclude)*_test.go", ":(exclude)tests", ":(exclude)tools")
# Before 1.13 the analyzers lived under galley/.
MESSAGES = ("pkg/config/analysis/msg/messages.yaml", "galley/pkg/config/analysis/msg/messages.yaml")

# (term, kind, where to look: (repository, paths)). A term holds for a minor line when `git grep -F` finds
# it in any of those places at that line's tags (labels moved into istio/api's generated constants in 1.24).
_PILOT = (("istio", ("pilot", "pkg")),)
_LABELS = (("istio", ("pilot", "pkg")), ("api", ("label", "annotation")))
TERMS: list[tuple[str, str, tuple[tuple[str, tuple[str, ...]], ...]]] = [
    ("WaypointAccepted", "condition", _PILOT),
    ("ZtunnelAccepted", "condition", _PILOT),
    ("ResolvedWaypoints", "condition", _PILOT),
    ("istio.io/use-waypoint", "label", _LABELS),
    ("istio.io/ingress-use-waypoint", "label", _LABELS),
    ("istio.io/waypoint-for", "label", _LABELS),
    ("is not bound to a waypoint", "message", _PILOT),
    ("ztunnel does not support HTTP rules", "message", _PILOT),
    ("ztunnel does not support HTTP attributes", "message", _PILOT),
    ("use-waypoint label missing from parent", "message", _PILOT),
    ("httpStreamIdleTimeout", "field", (("api", ("mesh",)),)),
]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def show(repo: Path, tag: str, path: str) -> str | None:
    done = subprocess.run(["git", "-C", str(repo), "show", f"{tag}:{path}"], capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else None


def stable_tags(repo: Path) -> list[tuple[tuple[int, int, int], str]]:
    tags = []
    for tag in git(repo, "tag", "--list").split():
        found = STABLE.match(tag)
        if found:
            tags.append(((int(found[1]), int(found[2]), int(found[3])), tag))
    return sorted(tags)


def text_of(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def reported_names(repo: Path, tag: str) -> set[str]:
    """Message names some non-generated, non-test Go file constructs at `tag` (`NewX(` -> `X`)."""
    done = subprocess.run(
        ["git", "-C", str(repo), "grep", "-hoE", CONSTRUCTOR, tag, "--", "*.go", ":!*_test.go", ":!*messages.gen.go"],
        capture_output=True,
        text=True,
    )
    return {call[len("New") : -1] for call in done.stdout.split()}


def analyzer_codes(repo: Path, tags: list[tuple[tuple[int, int, int], str]]) -> dict[str, Any]:
    codes: dict[str, dict[str, Any]] = {}
    reported_in: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    defined_in: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for version, tag in tags:
        text = next((found for path in MESSAGES if (found := show(repo, tag, path)) is not None), None)
        if text is None:
            continue
        reported = reported_names(repo, tag)
        for message in yaml.safe_load(text).get("messages", []):
            code = str(message["code"])
            codes.setdefault(code, {"name": message["name"], "level": message.get("level")})
            defined_in[code].append(version)
            if message["name"] in reported:
                reported_in[code].append(version)
    for code, fact in codes.items():
        versions = reported_in.get(code, [])
        lines: dict[str, str] = {}
        for version in versions:
            lines.setdefault(f"{version[0]}.{version[1]}", text_of(version))
        fact["first"] = text_of(min(versions)) if versions else None
        fact["last"] = text_of(max(versions)) if versions else None
        fact["lines"] = lines
        fact["catalog_only"] = {}
        for version in defined_in[code]:
            if f"{version[0]}.{version[1]}" not in lines:
                fact["catalog_only"].setdefault(f"{version[0]}.{version[1]}", text_of(version))
    return dict(sorted(codes.items()))


def spans(lines: list[str], order: list[str]) -> list[list[str]]:
    """Minor lines as contiguous [first, last] spans of `order`: ["1.5", "1.6", "1.8"] -> [[1.5, 1.6], [1.8, 1.8]]."""
    result: list[list[str]] = []
    previous = None
    for line in order:
        if line in lines:
            if previous is not None and order.index(previous) == order.index(line) - 1 and result:
                result[-1][1] = line
            else:
                result.append([line, line])
            previous = line
    return result


def istioctl_paths(repo: Path, minors: list[tuple[tuple[int, int, int], str]]) -> dict[str, Any]:
    """{"paths": {"experimental waypoint": spans, ...}, "aliases": {parent path: {alias: word}}}."""
    per_line: dict[str, set[str]] = {}
    aliases: dict[str, dict[str, str]] = {}
    for version, tag in minors:
        paths, found = command_tree(repo, tag)
        per_line[f"{version[0]}.{version[1]}"] = paths
        for parent, table in found.items():
            aliases.setdefault(parent, {}).update(table)
    order = list(per_line)
    every = sorted(set().union(*per_line.values()))
    return {
        "paths": {path: spans([line for line in order if path in per_line[line]], order) for path in every},
        "aliases": {parent: dict(sorted(table.items())) for parent, table in sorted(aliases.items())},
    }


def has_term(repo: Path, tag: str, term: str, paths: tuple[str, ...]) -> bool:
    done = subprocess.run(
        ["git", "-C", str(repo), "grep", "-q", "-F", term, tag, "--", *paths], capture_output=True, text=True
    )
    return done.returncode == 0


def registered_flags(repo: Path, tag: str) -> dict[str, str]:
    """Every environment variable the shipped Go code at `tag` registers, with its default as written."""
    found: dict[str, str] = {}
    # Three lines after each hit hold a name and a default registered on lines of their own.
    source = subprocess.run(
        ["git", "-C", str(repo), "grep", "-h", "-E", "-A3", r"env\.Register|os\.(Getenv|LookupEnv)\(", tag, "--", ".",
         *NOT_SHIPPED],
        capture_output=True,
        text=True,
    ).stdout  # fmt: skip
    for name in GETENV.findall(source):
        found.setdefault(name, "(read with os.Getenv)")
    for name, value in REGISTER.findall(source):
        found[name] = value.strip()
    return found


def flag_history(tags: list[tuple[tuple[int, int, int], str]], repo: Path) -> dict[str, list[Any]]:
    """{flag: [[release, default], ...]} over every release tag in version order: an entry wherever the flag
    appears, changes its default (PILOT_SEND_UNHEALTHY_ENDPOINTS: true in 1.14.0, false from 1.14.2) or goes away
    (null)."""
    history: dict[str, list[Any]] = defaultdict(list)
    for version, tag in tags:
        release, now = text_of(version), registered_flags(repo, tag)
        for name in sorted(set(now) | set(history)):
            value = now.get(name)
            if not history[name] or history[name][-1][1] != value:
                history[name].append([release, value])
    return dict(sorted(history.items()))


# --- Default stats matcher (stats_kept) -------------------------------------------------------------------
# Istio's bootstrap keeps only the Envoy stats its inclusion list names: patterns written into the bootstrap
# template and the `requiredEnvoyStatsMatcherInclusion*` values pkg/bootstrap appends to any annotation or
# proxyStatsMatcher a proxy adds. Before 1.4 the Go code lived in pkg/bootstrap/bootstrap_config.go (1.1 had a
# `defaultEnvoyStatsMatcherInclusionPatterns` list that an annotation replaced), the template under tools/deb
# (1.1) or tools/packaging/common (envoy_bootstrap_v2.json until 1.6, envoy_bootstrap.json since 1.7).
BOOTSTRAP_GO = ("pkg/bootstrap/config.go", "pkg/bootstrap/bootstrap_config.go")
BOOTSTRAP_TEMPLATES = (
    "tools/packaging/common/envoy_bootstrap.json",
    "tools/packaging/common/envoy_bootstrap_v2.json",
    "tools/deb/envoy_bootstrap_v2.json",
)
_MATCHER_KIND = {"Prefix": "prefix", "Suffix": "suffix", "Regexp": "regex"}
# The value pkg/bootstrap passes as `required` for each kind: `parseOption(annotation, REQUIRED, proxyConfig)`
# (1.4+) or `setStatsOption(annotation, inclusionPrefixOption, REQUIRED)` (1.2, 1.3).
_REQUIRED_CALL = re.compile(
    r"EnvoyStatsMatcherInclusion(Prefix|Suffix|Regexp)\(\s*parseOption\(\s*[^,]+,\s*([^,)]+)"
    r"|setStatsOption\([^,]+,\s*envoyStatsMatcherInclusion(Prefix|Suffix|Regexp)Option,\s*([^,)]+)\)"
)
_DEFAULT_LIST = re.compile(r'opts\["inclusionPatterns"\]\s*=\s*(\w+)\s*\n\s*}')
_GO_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"|`([^`]*)`')


def _go_value(expression: str, source: str, depth: int = 0) -> str:
    """The text a Go expression of pkg/bootstrap stands for: "a,b", `re`, NAME, NAME + ",c", []string{"a", "b"}
    (joined with commas). A local variable stands for its first assignment (`x := NAME`)."""
    expression = expression.split("//")[0].strip()
    if depth > 4:
        raise ValueError(f"cannot resolve {expression!r} in pkg/bootstrap")
    if expression.startswith("[]string{"):
        return ",".join(a or b for a, b in _GO_STRING.findall(expression))
    text = ""
    for part in (part.strip() for part in expression.split("+")):
        literal = _GO_STRING.fullmatch(part)
        if literal:
            text += literal[2] if literal[1] is None else literal[1].replace("\\\\", "\\")
        elif re.fullmatch(r"\w+", part):
            bound = re.search(rf"^\s*{part}\s*:?=\s*(\[\]string\{{[^}}]*\}}|[^\n]+)", source, re.MULTILINE)
            if bound is None:
                raise ValueError(f"cannot resolve {part!r} in pkg/bootstrap")
            text += _go_value(bound[1], source, depth + 1)
        else:
            raise ValueError(f"cannot resolve {part!r} in pkg/bootstrap")
    return text


def _go_strings(expression: str, source: str) -> list[str]:
    return [value for value in _go_value(expression, source).split(",") if value]


def _conditional_override(name: str, source: str) -> tuple[str, str] | None:
    """`if COND {\n name = OTHER` after `name := ...`: (COND, OTHER)."""
    found = re.search(rf"if ([^{{\n]+) \{{\s*\n\s*{name} = (\w+)", source)
    return (found[1].strip(), found[2]) if found else None


def _template_patterns(template: str) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Literal patterns of the template's stats_matcher inclusion list: always there, and those inside
    `{{- if .x }}` (with the condition). Template values (`{{$s}}`) are what the Go code passes."""
    block = template[template.index('"stats_matcher"') :]
    block = block[: block.index('"admin"')] if '"admin"' in block else block
    kept: dict[str, list[str]] = {"prefix": [], "suffix": [], "regex": []}
    conditional: dict[str, str] = {}
    condition: list[str] = []
    for line in block.splitlines():
        opened = re.search(r"\{\{-?\s*(if|range|with)\s+([^}]*?)\s*-?\}\}", line)
        if opened:
            condition.append(opened[2] if opened[1] == "if" else "")
            continue
        if re.search(r"\{\{-?\s*end\s*-?\}\}", line):
            if condition:
                condition.pop()
            continue
        entry = re.search(r'"(prefix|suffix|regex)"\s*:\s*"((?:[^"\\]|\\.)*)"', line)
        if not entry or "{{" in entry[2]:
            continue
        kind, value = entry[1], json.loads(f'"{entry[2]}"')
        if any(condition):
            conditional[f"{kind} {value}"] = next(c for c in reversed(condition) if c)
        elif not condition:
            kept[kind].append(value)
    return kept, conditional


def default_stats_matcher(repo: Path, tag: str) -> tuple[dict[str, list[str]], dict[str, str], list[str]]:
    """({prefix|suffix|regex: [pattern, ...]}, {"kind pattern": condition it needs}, [files read]) for a proxy
    with no stats annotation and no proxyStatsMatcher at `tag`."""
    go_file = next(path for path in BOOTSTRAP_GO if show(repo, tag, path) is not None)
    source = show(repo, tag, go_file) or ""
    template_file = next(path for path in BOOTSTRAP_TEMPLATES if show(repo, tag, path) is not None)
    kept, conditional = _template_patterns(show(repo, tag, template_file) or "")
    calls = [(a or c, b or d) for a, b, c, d in _REQUIRED_CALL.findall(source)]
    default_list = _DEFAULT_LIST.search(source)
    if default_list:  # 1.1: the template's one range, replaced as a whole by the annotation
        calls.append(("Prefix", default_list[1]))
    if not calls:
        raise ValueError(f"{tag}:{go_file}: no stats inclusion values found")
    for kind, argument in calls:
        kept[_MATCHER_KIND[kind]].extend(_go_strings(argument, source))
        override = _conditional_override(argument.strip(), source) if re.fullmatch(r"\w+", argument.strip()) else None
        if override:
            for value in _go_strings(override[1], source):
                if value not in kept[_MATCHER_KIND[kind]]:
                    conditional[f"{_MATCHER_KIND[kind]} {value}"] = override[0]
    return kept, conditional, [go_file, template_file]


def stats_kept(repo: Path, minors: list[tuple[tuple[int, int, int], str]]) -> dict[str, Any]:
    """What the default stats matcher keeps per minor line, as spans: {"prefix": {"server": [[1.1, 1.30]]},
    "suffix": {...}, "regex": {...}}, the patterns only some proxies get ("conditional": {"suffix
    downstream_cx_active": [condition, spans]}), and the files read ("files": [[first line, go, template], ...])."""
    per_line: dict[str, dict[str, list[str]]] = {}
    conditions: dict[str, tuple[str, list[str]]] = {}
    files: list[list[str]] = []
    for version, tag in minors:
        line = f"{version[0]}.{version[1]}"
        kept, conditional, read = default_stats_matcher(repo, tag)
        per_line[line] = kept
        for pattern, condition in conditional.items():
            conditions.setdefault(pattern, (condition, []))[1].append(line)
        if not files or files[-1][1:] != read:
            files.append([line, *read])
    order = list(per_line)
    result: dict[str, Any] = {}
    for kind in ("prefix", "suffix", "regex"):
        every = dict.fromkeys(value for kept in per_line.values() for value in kept[kind])
        result[kind] = {value: spans([ln for ln in order if value in per_line[ln][kind]], order) for value in every}
    result["conditional"] = {
        pattern: [condition, spans(lines, order)] for pattern, (condition, lines) in sorted(conditions.items())
    }
    result["files"] = files
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("istio", type=Path, help="git dir of istio/istio")
    parser.add_argument("api", type=Path, help="git dir of istio/api")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent.parent / "kb" / "data" / "istio-facts.json")
    args = parser.parse_args(argv)

    istio_tags = stable_tags(args.istio)
    api_tags = dict((v[:2], t) for v, t in stable_tags(args.api) if v[2] == 0)
    minors = [(v, t) for v, t in istio_tags if v[2] == 0 and v[:2] >= (1, 1)]
    repos = {"istio": args.istio, "api": args.api}

    terms: dict[str, Any] = {}
    for term, kind, places in TERMS:
        lines = []
        for version, tag in minors:
            for repo, paths in places:
                read = tag if repo == "istio" else api_tags.get(version[:2])
                if read is not None and has_term(repos[repo], read, term, paths):
                    lines.append(f"{version[0]}.{version[1]}")
                    break
        terms[term] = {"kind": kind, "repositories": [f"istio/{repo}" for repo, _ in places], "lines": lines}

    facts = {
        "generated_by": "scripts/istio_facts.py",
        "sources": {
            "istio/istio": {tag: git(args.istio, "rev-list", "-n1", tag).strip() for _, tag in istio_tags},
            "istio/api": {tag: git(args.api, "rev-list", "-n1", tag).strip() for tag in api_tags.values()},
        },
        "minors": [f"{v[0]}.{v[1]}" for v, _ in minors],
        "analyzer_codes": analyzer_codes(args.istio, [(v, t) for v, t in istio_tags if v[:2] >= (1, 1)]),
        "istioctl": istioctl_paths(args.istio, minors),
        "terms": terms,
        "flags": flag_history([(v, t) for v, t in istio_tags if v[:2] >= (1, 1)], args.istio),
        "stats_kept": stats_kept(args.istio, minors),
    }
    args.out.write_text(json.dumps(facts, indent=None, sort_keys=False, separators=(",", ":")) + "\n")
    print(
        f"wrote {args.out}: {len(facts['analyzer_codes'])} analyzer codes, {len(minors)} minor lines", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
