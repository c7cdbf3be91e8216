from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kb.loader import Level, load_runbooks
from kb.vocabulary import SignalKind

UNKNOWN_NOPE = (
    "unknown placeholder $NOPE; known: CLUSTER, CLUSTER_NAME, CONTAINER, CONTEXT, DEPLOYMENT, DESTINATION_RULE, "
    "GATEWAY, GATEWAY_NAMESPACE, GATEWAY_POD, HOST, IP, ISTIO_NAMESPACE, NAMESPACE, NETWORK, NODE, POD, PORT, "
    "REMOTE_CONTEXT, REVISION, SECRET, SERVICE, SERVICE_NAMESPACE, SUBSET, VIRTUAL_SERVICE"
)
# pydantic's wording for an enum: 'a', 'b' or 'c', every signal kind in declaration order.
_KINDS = [f"'{kind.value}'" for kind in SignalKind]
_ONE_OF_SIGNAL_KINDS = f"{', '.join(_KINDS[:-1])} or {_KINDS[-1]}"
BAD_ID_MESSAGE = "must be lower-case kebab-case (a-z, 0-9, single '-'), got 'Bad_ID'"

# One fixture file per validation rule: (file, [(line, field, message), ...]) with every error expected.
INVALID = [
    (
        "yaml-syntax",
        [
            (
                11,
                "yaml",
                "YAML syntax error: while parsing a block mapping, did not find expected key",
            )
        ],
    ),
    (
        "unknown-field",
        [(1, "symptoms", "required field is missing"), (11, "symptom", "unknown field; did you mean 'symptoms'?")],
    ),
    ("missing-field", [(1, "summary", "required field is missing")]),
    ("wrong-type", [(9, "tags[0]", "Input should be a valid string, got int 503")]),
    ("bad-enum", [(7, "severity", "Input should be 'critical', 'high', 'medium', 'low' or 'info', got 'urgent'")]),
    ("bad-weight", [(15, "signatures[0].weight", "Input should be a valid number, got str '2'")]),
    ("bad-id", [(1, "id", "id 'Bad_ID' must equal the file name 'bad-id'"), (1, "id", BAD_ID_MESSAGE)]),
    ("id-not-stem", [(1, "id", "id 'another-id' must equal the file name 'id-not-stem'")]),
    (
        "bad-version-range",
        [
            (
                10,
                "applies_to.istio",
                "must be a version range such as `>=1.10`, `>=1.6, <1.9.2` or `>=1.25.4, <1.26 || >=1.26.1`, "
                "got '1.10+'",
            )
        ],
    ),
    ("unknown-related", [(37, "related[0]", "unknown runbook id 'no-such-runbook'")]),
    (
        "bad-regex",
        [
            (
                17,
                "signatures[0].when[0].pattern",
                "does not compile under RE2: invalid perl operator: (?= (RE2 has no lookaround or backreferences)",
            )
        ],
    ),
    ("bad-signal-regex", [(18, "signatures[0].when[0].matches", "does not compile under RE2: missing ): U(H")]),
    ("condition-both", [(17, "signatures[0].when[0]", "a condition needs exactly one of `pattern` or `signal`")]),
    (
        "unknown-signal",
        [
            (
                17,
                "signatures[0].when[0].signal",
                f"Input should be {_ONE_OF_SIGNAL_KINDS}, got 'response_flags'",
            )
        ],
    ),
    (
        "manifest-syntax",
        [
            (
                32,
                "fix[0].manifest",
                "manifest YAML syntax error: while parsing a flow sequence, did not find expected ',' or ']'",
            )
        ],
    ),
    ("manifest-no-kind", [(28, "fix[0].manifest", "manifest document 1 lacks kind")]),
    (
        "manifest-api-too-new",
        [
            (
                28,
                "fix[0].manifest",
                "DestinationRule uses networking.istio.io/v1, served from Istio 1.22, but "
                "applies_to.istio admits 1.10; use an older API version or raise applies_to",
            )
        ],
    ),
    ("empty-example", [(38, "examples[0].text", "String should have at least 1 character")]),
    ("bad-source", [(39, "examples[0].source", "must be an http(s) URL or `seed N: <title>`, got 'my notes'")]),
    ("duplicate-key", [(21, "impact", "duplicate key (first at line 20)")]),
    (
        "unknown-placeholder",
        [
            (
                24,
                "diagnosis[0].commands[0]",
                "unknown placeholder $PODNAME; known: CLUSTER, CLUSTER_NAME, CONTAINER, CONTEXT, DEPLOYMENT, "
                "DESTINATION_RULE, GATEWAY, GATEWAY_NAMESPACE, GATEWAY_POD, HOST, IP, ISTIO_NAMESPACE, "
                "NAMESPACE, NETWORK, NODE, POD, PORT, REMOTE_CONTEXT, REVISION, SECRET, SERVICE, "
                "SERVICE_NAMESPACE, SUBSET, VIRTUAL_SERVICE",
            )
        ],
    ),
    ("incident-without-cause", [(1, "cause", "required for an incident")]),
    ("alias", [(8, "yaml", "anchors and aliases are not supported in runbooks")]),
    ("not-a-mapping", [(1, "runbook", "a runbook file must hold a YAML mapping")]),
    (
        "many-problems",
        [
            (1, "symptoms", "required field is missing"),
            (7, "severity", "Input should be 'critical', 'high', 'medium', 'low' or 'info', got 'urgent'"),
            (11, "symptom", "unknown field; did you mean 'symptoms'?"),
            (
                18,
                "signatures[0].when[0].matches",
                "does not compile under RE2: invalid perl operator: (?<= (RE2 has no lookaround or backreferences)",
            ),
            (28, "fix[0].manifest", "manifest document 1 lacks kind"),
        ],
    ),
    ("self-related", [(37, "related[0]", "a runbook cannot list itself")]),
    ("duplicate-signature-name", [(19, "signatures[1].name", "duplicate name 'uh-flag' (first at signatures[0])")]),
    ("duplicate-list-entry", [(8, "components", "duplicate entries: sidecar")]),
    ("weight-out-of-range", [(15, "signatures[0].weight", "Input should be less than or equal to 10")]),
    ("incident-without-impact", [(1, "impact", "required for an incident")]),
    (
        "envoyfilter-version",
        [
            (
                28,
                "fix[0].manifest",
                "EnvoyFilter must use apiVersion networking.istio.io/v1alpha3, got networking.istio.io/v1beta1",
            )
        ],
    ),
    ("manifest-second-document", [(35, "fix[0].manifest", "manifest document 2 lacks kind")]),
    (
        "cross-field-all-at-once",
        [
            (1, "cause", "required for an incident"),
            (1, "impact", "required for an incident"),
            (7, "severity", "Input should be 'critical', 'high', 'medium', 'low' or 'info', got 'urgent'"),
            (26, "fix[0].manifest", "manifest document 1 lacks kind"),
            (32, "fix[1].manifest", UNKNOWN_NOPE),
            (
                33,
                "fix[1].manifest",
                "VirtualService uses networking.istio.io/v1, served from Istio 1.22, but applies_to.istio admits 1.10; "
                "use an older API version or raise applies_to",
            ),
        ],
    ),
    (
        "version-range-outside-applies",
        [(23, "diagnosis[0].istio", "holds for Istio <1.9, which applies_to.istio '>=1.10' never admits")],
    ),
    (
        "manifest-unknown-field",
        [(37, "fix[0].manifest", "spec.trafficPolicy: unknown field 'retries' (Istio 1.10.0..1.30.3 CRD schema)")],
    ),
    (
        # Added in 1.15: only the snapshots between the range's first release and 1.15 refuse it.
        "manifest-field-added-between-snapshots",
        [
            (
                37,
                "fix[0].manifest",
                "spec.trafficPolicy.connectionPool.tcp: unknown field 'maxConnectionDuration' "
                "(Istio 1.11.0..1.14.0 CRD schema)",
            )
        ],
    ),
    (
        "manifest-wrong-type",
        [
            (
                36,
                "fix[0].manifest",
                "spec.subsets[0].labels: 'v1' is not of type 'object' (Istio 1.10.0..1.30.3 CRD schema)",
            )
        ],
    ),
    (
        "manifest-wrong-api-version",
        [
            (
                28,
                "fix[0].manifest",
                "DestinationRule networking.istio.io/v1alpha9 is not served by Istio 1.10.0..1.21.0; "
                "it serves networking.istio.io/v1alpha3, networking.istio.io/v1beta1",
            ),
            (
                28,
                "fix[0].manifest",
                "DestinationRule networking.istio.io/v1alpha9 is not served by Istio 1.22.0..1.30.3; "
                "it serves networking.istio.io/v1, networking.istio.io/v1alpha3, networking.istio.io/v1beta1",
            ),
        ],
    ),
]

# Fixtures that load but fail `kb lint --strict`: one per version-facts rule (kb/facts.py), with the warning.
VERSION_WARNINGS = [
    (
        "version-analyzer-code",
        (
            25,
            "diagnosis[0].expect",
            "analyzer code IST0173 (DestinationRuleSubsetNotSelectPods) ships in istioctl >=1.27, not in 1.10..1.26 "
            "(the 1.25, 1.26 message catalogs list it, but no analyzer reports it), but this holds for Istio >=1.10",
        ),
    ),
    (
        "version-analyzer-catalog-only",
        (
            25,
            "diagnosis[0].expect",
            "analyzer code IST0173 (DestinationRuleSubsetNotSelectPods) ships in istioctl >=1.27, not in 1.25, 1.26 "
            "(the 1.25, 1.26 message catalogs list it, but no analyzer reports it), "
            "but this holds for Istio >=1.25.4, <1.26 || >=1.26.1",
        ),
    ),
    (
        "version-analyzer-code-patch",
        (
            25,
            "diagnosis[0].expect",
            "analyzer code IST0175 (JwksUriFetchUnrestricted) ships in the 1.29 line only from 1.29.3 "
            "(it ships in istioctl >=1.28.7, <1.29 || >=1.29.3), but this holds for Istio >=1.28.7",
        ),
    ),
    (
        "version-istioctl-command",
        (
            24,
            "diagnosis[0].commands[0]",
            "`istioctl ztunnel-config workloads` is not in istioctl 1.20, 1.21, 1.22, but this holds for Istio >=1.20",
        ),
    ),
    (
        "version-istioctl-subcommand",
        (
            24,
            "diagnosis[0].commands[0]",
            "`istioctl waypoint status` is not in istioctl 1.22, but this holds for Istio >=1.22",
        ),
    ),
    (
        "version-istioctl-experimental",
        (
            24,
            "diagnosis[0].commands[0]",
            "`istioctl x waypoint list` is not in istioctl 1.23..1.30 (it has `istioctl waypoint list`), "
            "but this holds for Istio >=1.22",
        ),
    ),
    (
        "version-condition",
        (
            25,
            "diagnosis[0].expect",
            "condition `WaypointAccepted` is not in Istio 1.22, 1.23 (istio/istio), but this holds for Istio >=1.22",
        ),
    ),
    (
        # `IST0(?:105|158)` is judged too and passes: IST0105 ships up to 1.17, IST0158 from 1.18.
        "version-analyzer-regex",
        (
            23,
            "signatures[1].when[0].matches",
            "none of the analyzer codes IST0151, IST0155 this pattern names ships in istioctl 1.6..1.13, "
            "but this holds for Istio >=1.6",
        ),
    ),
    (
        "version-flag-command",
        (
            29,
            "fix[0].commands[0]",
            "feature flag `PILOT_ENABLE_MONGO_FILTER` is registered in no Istio 1.6..1.10 (istio/istio), so setting "
            "it there changes nothing, but this holds for Istio >=1.6",
        ),
    ),
    (
        # 1.3 is not listed: the flag arrived in 1.3.5, where the range enters that line.
        "version-flag-manifest",
        (
            28,
            "fix[0].manifest",
            "feature flag `PILOT_BLOCK_HTTP_ON_443` is registered in no Istio 1.12..1.30 (istio/istio), so setting "
            "it there changes nothing, but this holds for Istio >=1.3.5, <1.6 || >=1.12",
        ),
    ),
    (
        # The same step's `server.total_connections`, `cluster.xds-grpc.*`, `?filter=cluster_manager.cds` and
        # `update_rejected` (cluster_manager.cds.update_rejected) are kept; `some_unknown_name` is not judged.
        "version-stats-not-kept",
        (
            24,
            "diagnosis[0].commands[0]",
            "reads Envoy stats for `upstream_rq_pending_overflow` (such as "
            "`cluster.<cluster>.upstream_rq_pending_overflow`), but Istio 1.6..1.30's default stats matcher keeps no "
            "stat of that name, so the filter prints nothing; say how to include it (annotation "
            "sidecar.istio.io/statsInclusionPrefixes, statsInclusionSuffixes or statsInclusionRegexps, or "
            "proxyStatsMatcher in ProxyConfig or meshConfig.defaultConfig), but this holds for Istio >=1.6",
        ),
    ),
    (
        "ambient-without-ztunnel-step",
        (
            11,
            "applies_to.data_plane",
            "claims ambient but no step's command looks at ztunnel or a waypoint (istioctl ztunnel-config, "
            "ztunnel logs, waypoint status); add one or claim sidecar only",
        ),
    ),
]


@pytest.mark.parametrize(("name", "expected"), VERSION_WARNINGS, ids=[name for name, _ in VERSION_WARNINGS])
def test_each_version_fixture_warns_exactly_its_problem(
    runbook_dir: Callable[..., Path], name: str, expected: tuple[int, str, str]
) -> None:
    result = load_runbooks(runbook_dir(f"invalid/{name}.yaml"))
    warnings = [(p.line, p.field, p.message) for p in result.warnings if p.field != "file"]
    assert (result.errors, warnings) == ((), [expected])
    assert len(result.catalog) == 1  # a version warning never stops a runbook from loading


def errors_of(root: Path) -> list[tuple[int, str, str]]:
    return [(p.line, p.field, p.message) for p in load_runbooks(root).errors]


@pytest.mark.parametrize(("name", "expected"), INVALID, ids=[name for name, _ in INVALID])
def test_each_invalid_fixture_reports_exactly_its_problems(
    runbook_dir: Callable[..., Path], name: str, expected: list[tuple[int, str, str]]
) -> None:
    root = runbook_dir(f"invalid/{name}.yaml")
    assert errors_of(root) == expected


def test_every_invalid_fixture_is_in_the_grid() -> None:
    fixtures = {p.stem for p in (Path(__file__).parent / "data" / "invalid").glob("*.yaml")}
    assert fixtures == {name for name, _ in INVALID} | {name for name, _ in VERSION_WARNINGS}


def test_problem_renders_as_path_line_field_message(runbook_dir: Callable[..., Path]) -> None:
    root = runbook_dir("invalid/bad-enum.yaml")
    (problem,) = load_runbooks(root).errors
    assert str(problem).endswith(
        "area/bad-enum.yaml:7: severity: Input should be 'critical', 'high', 'medium', 'low' or 'info', got 'urgent'"
    )


def test_valid_fixture_loads_without_errors(runbook_dir: Callable[..., Path]) -> None:
    result = load_runbooks(runbook_dir("valid/minimal-incident.yaml"))
    assert result.errors == ()
    assert result.catalog.ids == ("minimal-incident",)


def test_broken_file_does_not_hide_valid_ones(runbook_dir: Callable[..., Path]) -> None:
    result = load_runbooks(runbook_dir("valid/minimal-incident.yaml", "invalid/bad-enum.yaml"))
    assert result.catalog.ids == ("minimal-incident",)
    assert [p.field for p in result.errors] == ["severity"]


def test_duplicate_ids_across_files(runbook_dir: Callable[..., Path]) -> None:
    root = runbook_dir("valid/minimal-incident.yaml")
    other = root / "other"
    other.mkdir()
    (other / "minimal-incident.yaml").write_text((root / "area" / "minimal-incident.yaml").read_text())
    (problem,) = load_runbooks(root).errors
    assert (problem.path, problem.line, problem.field) == (str(other / "minimal-incident.yaml"), 1, "id")
    assert problem.message == f"duplicate id 'minimal-incident' (also in {root / 'area' / 'minimal-incident.yaml'})"


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (b"id: x\n\xff\xfe bad bytes\n", 2, "not valid UTF-8 (byte 6)"),
        (b"", 1, "the file holds no YAML document"),
        (
            b"\x00\x01\x02binary",
            1,
            "YAML syntax error: unacceptable character #x0000: control characters are not allowed",
        ),
        (
            b"a: 1\n---\nb: 2\n",
            2,
            "YAML syntax error: expected a single document in the stream, but found another document",
        ),
    ],
    ids=["non-utf8", "empty", "binary", "two-documents"],
)
def test_unreadable_files_are_reported_not_raised(tmp_path: Path, content: bytes, line: int, message: str) -> None:
    (tmp_path / "broken.yaml").write_bytes(content)
    (problem,) = load_runbooks(tmp_path).errors
    assert (problem.line, problem.message) == (line, message)


def test_huge_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "huge.yaml").write_text("x: " + "a" * (1024 * 1024 + 1))
    (problem,) = load_runbooks(tmp_path).errors
    assert problem.message == "larger than 1048576 bytes"


def test_exponential_aliases_are_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    (tmp_path / "laughs.yaml").write_text("\n".join(lines) + "\n")
    (problem,) = load_runbooks(tmp_path).errors
    assert problem.message == "anchors and aliases are not supported in runbooks"


CONTENT_WARNINGS = [
    ("signatures", "an incident needs at least one signature for the matcher"),
    ("examples", "an incident needs at least one real example paste"),
    ("references", "cite at least one official doc or issue"),
    ("title_zh", "missing Chinese translation"),
    ("summary_zh", "contains no Chinese characters"),
]


def test_content_gaps_are_warnings(runbook_dir: Callable[..., Path]) -> None:
    root = runbook_dir("valid/minimal-incident.yaml")
    path = root / "area" / "minimal-incident.yaml"
    text = path.read_text()
    for block in (
        "signatures:\n  - name: uh-flag\n    weight: 2\n    when:\n      - signal: response_flag\n        equals: UH\n",
        "references:\n  - title: Istio docs\n    url: https://istio.io/latest/docs/\n",
        "examples:\n  - text: '\"GET / HTTP/1.1\" 503 UH no_healthy_upstream'\n"
        "    source: https://istio.io/latest/docs/\n",
        "title_zh: 测试用的示例事件\n",
    ):
        assert block in text
        text = text.replace(block, "")
    text = text.replace("summary_zh: 一个小而完整的事件手册。", "summary_zh: not translated")
    path.write_text(text)
    result = load_runbooks(root)
    assert result.errors == ()
    got = [(p.field, p.message) for p in result.warnings if p.field != "file"]
    assert sorted(got) == sorted(CONTENT_WARNINGS)
    assert all(p.level is Level.WARNING for p in result.warnings)


def test_missing_editor_schema_line_is_a_warning(runbook_dir: Callable[..., Path]) -> None:
    result = load_runbooks(runbook_dir("valid/minimal-incident.yaml"))
    (warning,) = result.warnings
    assert (warning.field, warning.message) == (
        "file",
        "missing `# yaml-language-server: $schema=...` line for editors",
    )


def test_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    from kb.errors import UsageError

    with pytest.raises(UsageError, match="runbooks directory not found"):
        load_runbooks(tmp_path / "nope")


DEEP_DOCUMENTS = {
    "flow": "id: " + "[" * 5000 + "]" * 5000 + "\n",
    "block": "".join("  " * depth + "a:\n" for depth in range(300)) + "  " * 300 + "b\n",
    "just over": "id: " + "[" * 65 + "]" * 65 + "\n",
}


@pytest.mark.parametrize("document", DEEP_DOCUMENTS.values(), ids=DEEP_DOCUMENTS.keys())
@pytest.mark.parametrize("loader", ["CSafeLoader", "SafeLoader"])
def test_deep_nesting_is_kbs_problem_whichever_yaml_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, document: str, loader: str
) -> None:
    # libyaml refuses deep documents with a limit and words of its own, the pure-Python reader recurses:
    # neither may decide what kb reports.
    import yaml

    from kb import yamldoc

    monkeypatch.setattr(yamldoc, "_Loader", getattr(yaml, loader, yaml.SafeLoader))
    (tmp_path / "deep.yaml").write_text(document)
    (problem,) = load_runbooks(tmp_path).errors
    assert (problem.field, problem.message) == ("yaml", "nested deeper than 64 levels")


def test_nesting_at_the_limit_is_allowed() -> None:
    from kb.yamldoc import parse_document

    assert parse_document("id: " + "[" * 63 + "]" * 63 + "\n").data["id"]


def test_special_files_are_refused_without_reading_them(tmp_path: Path) -> None:
    os.symlink("/dev/zero", tmp_path / "zero.yaml")
    os.mkfifo(tmp_path / "pipe.yaml")
    problems = [(Path(p.path).name, p.field, p.message) for p in load_runbooks(tmp_path).errors]
    assert problems == [
        ("pipe.yaml", "file", "not a regular file (a FIFO)"),
        ("zero.yaml", "file", "not a regular file (a character device)"),
    ]


def test_yml_files_and_empty_directories_are_reported(tmp_path: Path) -> None:
    assert [p.message for p in load_runbooks(tmp_path).errors] == ["no runbook files (*.yaml) in this directory"]
    (tmp_path / "x.yml").write_text("id: x\n")
    assert [p.message for p in load_runbooks(tmp_path).errors] == ["runbooks use the .yaml extension; rename it"]


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("\ufeffa: 1\nb: 2\nc: \udcff\n", 3, None),
        ("a: 1\nb: x\u2028y\nc: 3\n", 2, "contains U+2028, a Unicode line separator; remove it"),
        ("a:\n\tb: 1\n", 2, None),
        (
            "a: 1\nb: 汉字\x07\n",
            2,
            "YAML syntax error: unacceptable character #x0007: control characters are not allowed",
        ),
    ],
    ids=["bom-then-bad-byte", "line-separator", "tab", "control-after-cjk"],
)
def test_line_numbers_of_awkward_text(tmp_path: Path, content: str, line: int, message: str | None) -> None:
    (tmp_path / "awkward.yaml").write_bytes(content.encode("utf-8", "surrogateescape"))
    problem = load_runbooks(tmp_path).errors[0]
    assert problem.line == line
    if message is not None:
        assert problem.message == message
    if "\t" in content:
        assert problem.message.endswith("(this line has a tab; YAML indents with spaces only)")


def test_ids_of_invalid_files_still_count_for_related(runbook_dir: Callable[..., Path]) -> None:
    root = runbook_dir("invalid/bad-enum.yaml", "valid/minimal-incident.yaml")
    path = root / "area" / "minimal-incident.yaml"
    path.write_text(path.read_text().replace("examples:\n", "related: [bad-enum]\nexamples:\n"))
    assert [p.field for p in load_runbooks(root).errors] == ["severity"]


@pytest.mark.parametrize(
    ("manifest_yaml", "line"),
    [
        ("    manifest: |\n\n\n      apiVersion: v1\n", 30),
        ('    manifest: "apiVersion: v1\\nmetadata: {}\\n"\n', 27),
    ],
    ids=["block-with-leading-blank-lines", "quoted-scalar"],
)
def test_manifest_problem_lines(runbook_dir: Callable[..., Path], manifest_yaml: str, line: int) -> None:
    root = runbook_dir("valid/minimal-incident.yaml")
    path = root / "area" / "minimal-incident.yaml"
    text = path.read_text()
    start, end = text.index("    manifest: |"), text.index("references:")
    path.write_text(text[:start] + manifest_yaml + text[end:])
    (problem,) = load_runbooks(root).errors
    assert (problem.line, problem.message) == (line, "manifest document 1 lacks kind")


def test_loading_without_lint_leaves_out_the_schemas_and_warnings_only(runbook_dir: Callable[..., Path]) -> None:
    # What `kb site build` loads with: the CRD schema check and the warnings are `kb lint`'s.
    names = ("manifest-unknown-field", "version-stats-not-kept", "manifest-syntax", "bad-enum", "self-related")
    root = runbook_dir(*(f"invalid/{name}.yaml" for name in names))
    linted, plain = load_runbooks(root), load_runbooks(root, lint=False)
    schema = [p for p in linted.errors if "CRD schema" in p.message]
    assert schema and linted.warnings
    assert plain.warnings == ()
    assert plain.errors == tuple(p for p in linted.errors if p not in schema)  # everything else still holds
    assert len(plain.catalog) == len(linted.catalog) + 1  # the runbook only the schema refused
