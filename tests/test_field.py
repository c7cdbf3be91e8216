"""The field-corpus work of issue 13: hold-out evaluation, calibration, manifest and data-plane signals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kb.calibration import ambient_only, clear_winner, mentions_mesh
from kb.evaluate import Case, calibration, evaluate, parse_cases
from kb.holdout import cited_keys, plan, source_key, without_source
from kb.library import Library, default_library
from kb.matcher import match
from kb.rank import Confidence, generic
from kb.signals import Paste, extract
from kb.vocabulary import SignalKind

ROOT = Path(__file__).resolve().parent.parent
FIELD = ROOT / "eval" / "field.yaml"


@pytest.fixture(scope="module")
def library() -> Library:
    return default_library()


def signals(text: str, kind: SignalKind) -> list[str]:
    return [s.value for s in extract(Paste.of(text)) if s.kind is kind]


VS_AND_DR = """\
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews.default.svc.cluster.local]
  gateways: [bookinfo-gateway]
  http:
  - route:
    - destination:
        host: reviews
        subset: {subset}
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews.default.svc.cluster.local
  subsets:
  - name: v1
    labels: {{version: v1}}
"""


def test_a_route_to_a_subset_the_pasted_destination_rule_lacks_is_found() -> None:
    assert signals(VS_AND_DR.format(subset="v3"), SignalKind.MANIFEST) == ["vs-subset-undefined"]
    assert signals(VS_AND_DR.format(subset="v1"), SignalKind.MANIFEST) == []


def test_a_subset_is_not_blamed_when_no_destination_rule_for_the_host_is_pasted() -> None:
    only_vs = VS_AND_DR.format(subset="v3").split("---")[0]
    assert signals(only_vs, SignalKind.MANIFEST) == []


GATEWAY = """\
  apiVersion: networking.istio.io/v1beta1
  kind: Gateway
  metadata:
    name: bookinfo-gateway
  spec:
    servers:
    - port: {{number: 80, name: http, protocol: HTTP}}
      hosts: ["{host}"]
"""


@pytest.mark.parametrize(("host", "found"), [("shop.example.com", True), ("*", False), ("*.cluster.local", False)])
def test_gateway_and_virtualservice_hosts_must_overlap(host: str, found: bool) -> None:
    # The Gateway is pasted indented under a log line, as people paste `kubectl get -o yaml` output.
    text = VS_AND_DR.format(subset="v1") + "\nkubectl get gateway -o yaml\n" + GATEWAY.format(host=host)
    assert ("gateway-vs-host-mismatch" in signals(text, SignalKind.MANIFEST)) is found


def test_a_service_port_without_protocol_prefix_or_app_protocol_is_found() -> None:
    service = "apiVersion: v1\nkind: Service\nmetadata: {{name: db}}\nspec:\n  ports:\n  - {port}\n"
    assert signals(service.format(port="{name: web, port: 80}"), SignalKind.MANIFEST) == ["port-name-no-protocol"]
    assert signals(service.format(port="{name: http-web, port: 80}"), SignalKind.MANIFEST) == []
    assert signals(service.format(port="{name: web, port: 80, appProtocol: http}"), SignalKind.MANIFEST) == []


@pytest.mark.parametrize("text", ["apiVersion: [unclosed\nkind: x", "apiVersion: v1\nkind: Service\nspec: 3", "a" * 10])
def test_broken_or_odd_yaml_gives_no_finding_and_no_error(text: str) -> None:
    assert signals(text, SignalKind.MANIFEST) == []


PEER_AUTHENTICATION = """\
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {{name: default, namespace: shop}}
spec:
  {mtls}
"""


@pytest.mark.parametrize(
    ("mtls", "found"),
    [
        ("mtls: {mode: STRICT}", True),
        ("mtls: {mode: strict}", True),
        ("portLevelMtls: {8080: {mode: STRICT}}", True),
        ("mtls: {mode: PERMISSIVE}", False),
        ("mtls: {mode: STRICT}\n  portLevelMtls: ", True),
        ("selector: {matchLabels: {app: web}}", False),
    ],
)
def test_a_peer_authentication_that_requires_mutual_tls_is_found(mtls: str, found: bool) -> None:
    text = PEER_AUTHENTICATION.format(mtls=mtls)
    assert ("peer-authentication-strict" in signals(text, SignalKind.MANIFEST)) is found


@pytest.mark.parametrize(
    ("tls", "found"),
    [
        ("servers: [{port: {number: 443, protocol: HTTPS}, tls: {mode: SIMPLE, credentialName: c}}]", True),
        ("servers: [{port: {number: 443, protocol: HTTPS}, tls: {credentialNames: [rsa, ecdsa]}}]", True),
        ("listeners: [{name: https, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: c}]}}]", True),
        ("servers: [{port: {number: 443, protocol: HTTPS}, tls: {mode: PASSTHROUGH}}]", False),
        ("servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]", False),
    ],
)
def test_a_gateway_whose_certificate_comes_from_a_secret_is_found(tls: str, found: bool) -> None:
    text = f"apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {{name: gw}}\nspec:\n  {tls}\n"
    assert ("gateway-tls-credential" in signals(text, SignalKind.MANIFEST)) is found


def test_yaml_ends_at_a_shell_prompt_and_the_next_resource_starts_without_a_separator() -> None:
    strict = PEER_AUTHENTICATION.format(mtls="mtls: {mode: STRICT}")
    text = f"$ kubectl get pa default -o yaml\n{strict}$ kubectl get gw -o yaml\n{GATEWAY_TLS}"
    found = [s for s in extract(Paste.of(text)) if s.kind is SignalKind.MANIFEST]
    assert [(s.value, s.line) for s in found] == [("peer-authentication-strict", 2), ("gateway-tls-credential", 8)]
    # Without the prompts, and without `---`, the second apiVersion still starts a resource of its own.
    both = ["peer-authentication-strict", "gateway-tls-credential"]
    assert signals(strict + GATEWAY_TLS, SignalKind.MANIFEST) == both


GATEWAY_TLS = """\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web-gateway}
spec:
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [web.example.com]
    tls: {mode: SIMPLE, credentialName: web-cert}
"""


@pytest.mark.parametrize(
    ("text", "runbook", "signature"),
    [
        (
            PEER_AUTHENTICATION.format(mtls="mtls: {mode: STRICT}")
            + "$ kubectl exec legacy -- curl -sS http://web.shop:8080/\n"
            "curl: (56) Recv failure: Connection reset by peer\n",
            "mtls-strict-plaintext-client",
            "pasted-strict-peer-authentication",
        ),
        (
            GATEWAY_TLS + "$ curl -v https://web.example.com/\n"
            "curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to web.example.com:443\n",
            "gateway-credential-not-found",
            "pasted-gateway-secret-credential",
        ),
    ],
)
def test_a_pasted_setting_leads_to_the_runbook_it_explains(
    library: Library, text: str, runbook: str, signature: str
) -> None:
    top = match(text, library).results[0]
    assert top.runbook.id == runbook
    assert any(e.signature == signature for e in top.evidence)


def test_the_data_plane_a_paste_shows() -> None:
    ztunnel = 'error access connection complete src.addr=10.0.0.1:1 dst.hbone_addr=10.0.0.2:8080 error="io error"'
    assert signals(ztunnel, SignalKind.DATA_PLANE) == ["ambient"]
    assert signals("kubectl logs web-1 -c istio-proxy", SignalKind.DATA_PLANE) == ["sidecar"]
    assert signals("curl: (7) Failed to connect", SignalKind.DATA_PLANE) == []


def test_a_pasted_manifest_leads_to_the_runbook_its_finding_means(library: Library) -> None:
    top = match(VS_AND_DR.format(subset="v3"), library).results[0]
    assert top.runbook.id == "subset-no-healthy-upstream"
    assert any(e.signature == "pasted-route-to-undefined-subset" for e in top.evidence)


TRACEBACK = """\
Traceback (most recent call last):
  File "/usr/lib/python3/site-packages/requests/adapters.py", line 426, in send
    raise ConnectionError(e, request=request)
requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.example.com', port=443): Max retries exceeded
"""


# Pastes that show no mesh at all; the site's offline matcher is held to the same (test_site_browser.py).
NO_MESH_PASTES = [
    TRACEBACK,
    "Readiness probe failed: Get http://10.1.0.120:9000/ping: dial tcp 10.1.0.120:9000: connect: connection refused",
    "curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to opensearch-cluster-master:9200",
    # pip behind a proxy that re-signs TLS: two TLS-reason signatures (weight 6) of a runbook on Envoy's
    # upstream TLS, and nothing of a mesh.
    "Could not fetch URL https://pypi.org/simple/pip/: There was a problem confirming the ssl certificate: "
    "HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded with url: /simple/pip/ (Caused by "
    "SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self "
    "signed certificate in certificate chain (_ssl.c:1129)'))) - skipping",
]


@pytest.mark.parametrize("text", NO_MESH_PASTES)
def test_a_paste_that_shows_no_mesh_gets_no_medium_answer(library: Library, text: str) -> None:
    assert all(r.confidence is Confidence.LOW for r in match(text, library).results)


def test_the_same_error_with_the_mesh_in_view_is_answered(library: Library) -> None:
    text = "Readiness probe failed: HTTP probe failed with statuscode: 503\nEnvoy proxy is NOT ready: no config"
    assert match(text, library).confident


def test_a_paste_that_shows_the_mesh_stands_in_for_a_mesh_signal_in_the_evidence(library: Library) -> None:
    # The evidence is a pattern (weight 3); the istiod log scope shows the mesh at work, the text search agrees.
    message = "gateway credentialName secret shop-cert: server cert or private key is empty"
    top = match(f"2024-05-01T10:00:00.000000Z\twarn\tcache\t{message}", library).results[0]
    assert (top.runbook.id, top.confidence.value, [e.weight for e in top.evidence]) == (
        "gateway-credential-not-found",
        "high",
        [3.0],
    )
    assert match(message, library).results[0].confidence is not Confidence.HIGH


def test_an_rbac_denial_at_the_end_of_another_programs_error_chain_is_no_mesh_answer(library: Library) -> None:
    paste = "2024-02-01 sync worker error: import of repository tools/build failed: RBAC: access denied"
    assert not match(paste, library).confident
    # The same words as a reply Envoy sent (with its status) are the AuthorizationPolicy runbook's.
    top = match("GET /api/items -> 403: RBAC: access denied", library).results[0]
    assert (top.runbook.id, top.confidence.value) == ("authorization-policy-denied", "high")


def test_mesh_words_and_clear_winners() -> None:
    assert mentions_mesh("the istio-proxy sidecar keeps running") and mentions_mesh("边车启动顺序")
    assert not mentions_mesh("nginx upstream timed out behind the gateway")
    assert mentions_mesh("CERTIFICATE_VERIFY_FAILED until the citadel pod was restarted")
    assert clear_winner(6.0, 9.0, 6.0) and clear_winner(4.0, 8.0, 4.0)
    assert not clear_winner(4.0, 7.0, 4.0) and not clear_winner(3.0, 9.0, 1.0)
    # Medium evidence on a mesh signal, with the text search on the same runbook, needs a two-fold lead.
    assert clear_winner(3.0, 6.0, 3.0, agreed=True) and not clear_winner(3.0, 5.9, 3.0, agreed=True)
    assert not clear_winner(2.5, 9.0, 1.0, agreed=True)


def test_a_mesh_signal_and_the_text_agreeing_make_a_clear_winner_high(library: Library) -> None:
    # One flag (weight 3, below every other winner rule) and the text search both name idle resets.
    paste = "503 UC in the sidecar access log a few times an hour, the backend pods are healthy"
    top = match(paste, library).results[0]
    assert (top.runbook.id, top.confidence.value) == ("idle-connection-reset", "high")
    assert [e.weight for e in top.evidence] == [3.0]


def test_source_keys_name_one_thread_however_it_is_linked() -> None:
    key = source_key("https://github.com/istio/istio/issues/123")
    assert source_key("http://www.github.com/Istio/istio/pull/123/files#diff") == key
    assert source_key("https://github.com/istio/istio/issues/123#issuecomment-9") == key
    assert source_key("https://istio.io/latest/docs/x/") == source_key("https://istio.io/latest/docs/x#y")


def test_holding_a_source_out_removes_its_examples_and_references(library: Library) -> None:
    runbook = next(r for r in library.catalog if r.examples and "://" in r.examples[0].source)
    key = source_key(runbook.examples[0].source)
    assert key in cited_keys(library)
    held = without_source(library, key)
    try:
        assert key not in cited_keys(held)
        kept = held.catalog.get(runbook.id)
        assert len(kept.examples) < len(runbook.examples)
    finally:
        held.close()
    steps = plan([runbook.examples[0].source, "https://example.org/never-cited"], library)
    assert steps.shared == (1,) and list(steps.held_out.values()) == [(0,)]


def test_a_held_out_case_is_not_answered_by_its_own_example(library: Library) -> None:
    runbook = next(r for r in library.catalog if r.examples and "://" in r.examples[0].source)
    example = runbook.examples[0]
    case = Case("c1", example.text, (runbook.id,), example.source)
    report = evaluate([case], library, holdout_sources=True)
    assert report["holdout_sources"] == {"cases_held_out": 1}
    assert set(report["calibration"]) == {"high_share", "high_precision", "negatives_answered"}


def test_the_field_corpus_is_well_formed_and_keeps_away_from_reserved_and_dev_sources() -> None:
    data = yaml.safe_load(FIELD.read_text(encoding="utf-8"))
    cases = parse_cases(data)
    assert len([c for c in cases if c.expect]) >= 200 and len([c for c in cases if not c.expect]) >= 40
    shared = ROOT.parent / "shared" / "eval"
    if shared.is_dir():
        reserved = {line.strip().rstrip("/") for line in (shared / "reserved-sources.txt").read_text().splitlines()}
        dev = {str(c.get("source", "")).rstrip("/") for c in yaml.safe_load((shared / "dev-cases.yaml").read_text())}
        sources = {str(c.source).rstrip("/") for c in cases}
        assert not sources & reserved and not sources & dev
    assert {c.group("half") for c in cases} == {"tuning", "check"}
    assert all(u.get("proposed") and u.get("source") for u in data["uncovered"])


def _two_case_corpus(tmp_path: Path, **extra: object) -> Path:
    """A corpus file with one positive on the check half and one negative on the tuning half."""
    cases = [
        {"id": "a", "input": "log", "half": "check", "expect": ["subset-no-healthy-upstream"],
         "text": VS_AND_DR.format(subset="v3")},
        {"id": "b", "input": "typed_en", "half": "tuning", "expect": [], "text": TRACEBACK},
    ]  # fmt: skip
    path = tmp_path / "cases.yaml"
    path.write_text(yaml.safe_dump({"cases": cases, **extra}), encoding="utf-8")
    return path


def test_kb_eval_holdout_sources_reports_groups_over_the_cli(tmp_path: Path) -> None:
    path = _two_case_corpus(tmp_path, uncovered=[])
    run = subprocess.run(
        [sys.executable, "-m", "kb", "eval", "--holdout-sources", "--json", str(path)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["top1"] == 1.0 and report["negatives_pass"] == 1.0
    assert set(report["groups"]) == {"input", "half"} and report["groups"]["half"]["check"]["cases"] == 1
    assert set(report["baseline"]) == {"top1", "top3", "mrr", "negatives_pass"}
    text = subprocess.run(
        [sys.executable, "-m", "kb", "eval", "--holdout-sources", str(path)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert "by input" in text.stdout and "high confidence" in text.stdout


def test_kb_eval_half_scores_only_that_half_and_names_the_halves_there_are(tmp_path: Path) -> None:
    path = _two_case_corpus(tmp_path)

    def kb_eval(*options: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kb", "eval", *options, str(path)],
            capture_output=True, text=True, check=False, cwd=ROOT,
        )  # fmt: skip

    tuning = kb_eval("--half", "tuning", "--json")
    assert tuning.returncode == 0, tuning.stderr
    report = json.loads(tuning.stdout)
    assert [c["id"] for c in report["cases"]] == ["b"]
    assert report["counts"] == {"cases": 1, "positives": 0, "negatives": 1} and report["top1"] is None
    assert list(report["groups"]["half"]) == ["tuning"]
    wrong = kb_eval("--half", "training")
    assert wrong.returncode == 2 and "half 'training'" in wrong.stderr and "check, tuning" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_calibration_counts_only_first_answers() -> None:
    from kb.evaluate import Outcome

    case = Case("p", "x", ("a",))
    outcomes = [Outcome(case, ("a",), ("high",), 0.0), Outcome(Case("n", "y", ()), ("a",), ("medium",), 0.0)]
    assert calibration(outcomes) == {"high_share": 1.0, "high_precision": 1.0, "negatives_answered": 1.0}


def test_steps_for_the_matched_cause_come_first(library: Library) -> None:
    paste = (
        'Error creating: Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": '
        'failed to call webhook: Post "https://istiod.istio-system.svc:443/inject?timeout=10s": '
        "dial tcp 10.0.1.5:15017: i/o timeout\n"
    )
    top = match(paste, library).results[0]
    assert top.runbook.id == "injection-webhook-unreachable" and top.causes[0] == "port-15017-blocked"
    assert "port-15017-blocked" in top.ordered(top.runbook.diagnosis)[0].causes
    assert "port-15017-blocked" in top.ordered(top.runbook.fix)[0].causes
    assert top.ordered(top.runbook.diagnosis) != list(top.runbook.diagnosis)


def test_ambient_steps_come_first_only_when_the_paste_shows_ambient() -> None:
    from kb.matcher import order_steps
    from kb.model import Step

    steps = [Step(text="sidecar check"), Step(text="ztunnel check", data_planes=("ambient",))]
    assert [s.text for s in order_steps(steps, (), "ambient")] == ["ztunnel check", "sidecar check"]
    assert [s.text for s in order_steps(steps, (), None)] == ["sidecar check", "ztunnel check"]
    assert [s.text for s in order_steps(steps, (), "sidecar")] == ["sidecar check", "ztunnel check"]


def test_a_step_cause_no_signature_names_is_a_lint_problem() -> None:
    from kb.checks import runbook_findings

    data = {"signatures": [{"name": "a", "cause": "x"}], "fix": [{"text": "t", "causes": ["x", "typo"]}]}
    assert [f.path for f in runbook_findings(data)] == [("fix", 0, "causes", 1)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("UF,URX", {("response_flag", "UF"), ("response_flag", "URX")}),
        ("{local reset} LR", {("reset_reason", "local reset"), ("response_flag", "LR")}),
        (
            "upstream_reset_before_response_started{remote_connection_failure,delayed_connect_error:_111",
            {("reset_reason", "remote connection failure")},
        ),
        (
            "reset reason: connection timeoutupstream connect error or disconnect/reset before headers.",
            set(),
        ),
        (
            "upstream connect error or disconnect/reset before headers. reset reason: connection timeoutupstream "
            "connect error or disconnect/reset before headers. reset reason: connection timeout",
            {("reset_reason", "connection timeout")},
        ),
        ("io.grpc.StatusRuntimeException: UNAVAILABLE: io exception", {("grpc_status", "UNAVAILABLE")}),
        ('{"message":"14 UNAVAILABLE: upstream connect error"}', {("grpc_status", "UNAVAILABLE")}),
        ("received prior goaway: code: NO_ERROR", {("dial_error", "goaway")}),
        ("Envoy proxy is NOT ready: config not received from Pilot", {("istio_status", "agent-no-config")}),
        ("warn Envoy may have been out of memory killed. Check memory usage", {("istio_status", "agent-envoy-oom")}),
        (
            "Authenticator KubeJWTAuthenticator: could not get cluster cluster2's kube client",
            {("istio_status", "istiod-remote-cluster")},
        ),
    ],
)
def test_short_fragments_client_errors_and_agent_messages_become_signals(
    text: str, expected: set[tuple[str, str]]
) -> None:
    found = {(s.kind.value, s.value) for s in extract(Paste.of(text))}
    assert expected <= found
    assert not any(kind == "reset_reason" and "upstream" in value for kind, value in found)


def test_a_flag_inside_prose_is_not_a_lone_fragment() -> None:
    assert signals("we saw DC and UF in the logs", SignalKind.RESPONSE_FLAG) == []


@pytest.mark.parametrize(
    ("question", "holds"),
    [("istio 熔断触发之后全是 503", True), ("istio 连接池溢出", True), ("istio 配置了熔断但是没有触发", False)],
)
def test_the_chinese_circuit_breaker_words_need_a_breaker_that_tripped(
    library: Library, question: str, holds: bool
) -> None:
    judged = library.scorer.judge(Paste.of(question), [])
    evidence = judged.get("circuit-breaker-overflow")
    assert (evidence is not None and "zh-circuit-breaker" in {e.signature for e in evidence.evidence}) is holds


@pytest.mark.parametrize(
    ("paste", "holds"),
    [
        ("calls from a pod without the istio sidecar get connection reset by peer", True),
        ("the legacy namespace client gets ECONNRESET", True),
        # Here the sidecar is what makes the difference: the caller is in the mesh.
        ("503 connection reset on every hop through the mesh, works fine without the sidecar", False),
    ],
)
def test_a_caller_without_a_sidecar_is_named_by_what_lacks_one(library: Library, paste: str, holds: bool) -> None:
    judged = library.scorer.judge(Paste.of(paste), [])
    evidence = judged.get("mtls-strict-plaintext-client")
    assert (evidence is not None and "non-mesh-client-words" in {e.signature for e in evidence.evidence}) is holds


def test_an_ambient_only_paste_lowers_runbooks_for_sidecars_only(library: Library) -> None:
    reset = "curl: (56) Recv failure: Connection reset by peer\nthe namespace has a STRICT PeerAuthentication"
    plain = match(reset, library).results[0]
    ambient = next(
        r for r in match(reset + " and runs on ztunnel", library).results if r.runbook.id == plain.runbook.id
    )
    assert plain.runbook.applies_to.data_plane == ("sidecar",)
    assert (plain.confidence.value, ambient.confidence.value) == ("high", "medium")
    assert ambient.score < plain.score
    # A paste that also names a sidecar may come from a mixed mesh: nothing is lowered.
    mixed = match(reset + " and runs on ztunnel; the client has no sidecar", library).results[0]
    assert (mixed.runbook.id, mixed.confidence.value) == (plain.runbook.id, "high")
    assert ambient_only({"ambient"}, "ztunnel logs") and not ambient_only({"ambient", "sidecar"}, "ztunnel logs")


def test_headers_envoy_writes_on_its_own_replies_show_a_mesh_and_others_do_not(library: Library) -> None:
    overflow = "HTTP/1.1 503 Service Unavailable\nx-envoy-overloaded: true\ncontent-length: 81"
    top = match(overflow, library).results[0]
    assert (top.runbook.id, top.confidence.value) == ("circuit-breaker-overflow", "high")
    # A header the upstream may set (x-envoy-degraded) only shows a proxy on the path.
    assert generic(SignalKind.ENVOY_HEADER, "x-envoy-degraded")
    assert not generic(SignalKind.ENVOY_HEADER, "x-envoy-overloaded")
