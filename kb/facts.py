"""What each Istio release ships (kb/data/istio-facts.json, written by scripts/istio_facts.py from Istio's own
files at its release tags), and the lint rules that hold runbooks to it.

A step, signature or note holds for the releases of `applies_to.istio` narrowed by its own `istio` range.
Every analyzer code, istioctl command, named term (status condition, label, message, field) and feature
flag it uses must exist in each minor line of that range the facts know; an analyzer code that arrived in a patch
release (IST0173 in 1.25.4) needs a range that starts there. Ambient runbooks need ambient diagnosis. A step that
greps Envoy's stats for a stat Istio's default stats matcher drops in some release of its range prints nothing
there: the runbook must say how to include it.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as _field
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import unquote

from kb.model import Runbook
from kb.versions import Range, Release, parse_range, parse_release
from kb.vocabulary import DataPlane
from kb.yamldoc import Path_

FACTS_FILE = "istio-facts.json"
_CODE = re.compile(r"\bIST[0-9]{4}\b")
# An istioctl invocation: the words up to the end of the shell command (a pipe, `;`, `&&`, `)` or a newline).
_ISTIOCTL = re.compile(r"\bistioctl((?:[ \t]+[^\s|;&)]+)*)")
_WORD = re.compile(r"[a-z][a-z0-9-]*")
# A feature flag a step sets: `PILOT_HTTP10=1`, `--set values.pilot.env.PILOT_HTTP10=true` in a command,
# `- name: PILOT_HTTP10` or `PILOT_HTTP10: "1"` (proxyMetadata) in a manifest. Setting a flag a release does not
# have changes nothing, silently; a step that only reads or greps one, or prose about one, is not checked.
# A shell variable (`$ISTIO_NAMESPACE`) is a placeholder, not a flag.
_NAME = r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+"
_FLAG_SET = re.compile(rf"(?<![$\w{{]){_NAME}(?==)|(?<=name: )\"?{_NAME}\b|^\s*\"?{_NAME}(?=\"?: )", re.MULTILINE)
# More patch releases than any Istio minor line has had (1.5 and 1.24 reached the teens).
_PATCHES = 40
# A regex that admits more analyzer codes than this is about codes in general, not about these ones.
_FEW_CODES = 8
# What counts as ambient diagnosis: ztunnel's own view, its logs, or a waypoint's state.
_AMBIENT_DIAGNOSIS = re.compile(r"ztunnel-config|\bztunnel\b|\bwaypoint\b")


@dataclass(frozen=True)
class Facts:
    minors: tuple[str, ...]
    codes: dict[str, Any]
    paths: dict[str, list[list[str]]]  # "experimental waypoint status" -> minor-line spans that have it
    aliases: dict[str, dict[str, str]]  # parent path -> {alias: word}: {"": {"x": "experimental"}}
    terms: dict[str, Any]
    flags: dict[str, list[list[Any]]]  # "PILOT_HTTP10" -> [[first release, default], [release it left, null]...]
    # {"prefix"|"suffix"|"regex": {pattern: minor-line spans}}: what the default stats matcher keeps
    stats_kept: dict[str, Any] = _field(default_factory=dict)

    def flag_default(self, name: str, release: str) -> str | None:
        """The default a feature flag has in a release (`1.14.2`; a minor line alone means its .0) as Istio's code
        writes it, or None where the release does not register it."""
        wanted = parse_release(release).first
        value: str | None = None
        for since, default in self.flags.get(name, []):
            if parse_release(since).first > wanted:
                break
            value = default
        return value

    def flag_in(self, name: str, line: str, span: Range) -> bool:
        """Whether some release of `line` that `span` admits registers the flag."""
        releases = (f"{line}.{patch}" for patch in range(_PATCHES))
        return any(span.admits(parse_release(r)) and self.flag_default(name, r) is not None for r in releases)

    def lines(self, span: Range) -> list[str]:
        """The known minor lines a range admits."""
        return list(_admitted(self.minors, span))

    def in_spans(self, spans: list[list[str]], line: str) -> bool:
        index = self.minors.index(line)
        return any(self.minors.index(first) <= index <= self.minors.index(last) for first, last in spans)


@cache
def _admitted(minors: tuple[str, ...], span: Range) -> tuple[str, ...]:
    # Every text of a step asks for the same span: worth remembering (kb lint checks thousands of texts).
    return tuple(line for line in minors if span.admits(parse_release(line)))


@cache
def load_facts() -> Facts:
    data = json.loads(files("kb").joinpath("data", FACTS_FILE).read_text(encoding="utf-8"))
    return Facts(
        minors=tuple(data["minors"]),
        codes=data["analyzer_codes"],
        paths=data["istioctl"]["paths"],
        aliases=data["istioctl"]["aliases"],
        terms=data["terms"],
        flags=data["flags"],
        stats_kept=data.get("stats_kept", {}),
    )


@dataclass(frozen=True)
class VersionProblem:
    path: Path_
    message: str


def version_problems(runbook: Runbook, facts: Facts | None = None) -> list[VersionProblem]:
    """Every use of a code, command or term outside the releases it exists in, and ambient claims without
    ambient diagnosis."""
    known = facts or load_facts()
    overall = parse_range(runbook.applies_to.istio)
    problems: list[VersionProblem] = []
    for path, istio, texts in _versioned_texts(runbook):
        span = overall if istio is None else overall.meet(parse_range(istio))
        for field, text, is_command in texts:
            problems += [VersionProblem((*path, *field), m) for m in _text_problems(text, is_command, span, known)]
            if is_command or field == ("manifest",):
                problems += [VersionProblem((*path, *field), m) for m in _flag_problems(text, span, known)]
        if path[0] == "signatures":
            for number, condition in enumerate(runbook.signatures[int(path[1])].when):
                for name in ("pattern", "matches"):
                    value = getattr(condition, name)
                    found = _regex_code_problems(value, span, known) if value else ()
                    problems += [VersionProblem((*path, "when", number, name), m) for m in found]
    problems += _ambient_problems(runbook)
    problems += _stats_problems(runbook, known)
    return problems


def _versioned_texts(runbook: Runbook) -> Iterator[tuple[Path_, str | None, list[tuple[Path_, str, bool]]]]:
    """(path of the item, its own range, [(field path, text, is a shell command)]) for every checked item."""
    for section in ("diagnosis", "fix", "verify"):
        for index, step in enumerate(getattr(runbook, section)):
            texts: list[tuple[Path_, str, bool]] = [(("commands", n), c, True) for n, c in enumerate(step.commands)]
            if step.expect:
                texts.append((("expect",), step.expect, False))
            manifest = getattr(step, "manifest", None)
            if manifest:
                texts.append((("manifest",), manifest, False))
            yield (section, index), step.istio, texts
    for index, signature in enumerate(runbook.signatures):
        texts = []
        for number, condition in enumerate(signature.when):
            for name in ("pattern", "equals", "matches"):
                value = getattr(condition, name)
                if value:
                    texts.append((("when", number, name), value.replace("\\", ""), False))
        yield ("signatures", index), signature.istio, texts


def _regex_code_problems(pattern: str, span: Range, facts: Facts) -> Iterator[str]:
    """A signature's regex that names analyzer codes through a class or a group (`^IST015[15]$`,
    `IST0(?:105|158)`) matches in a release when one of them ships there: each release of the range needs one.
    A pattern that admits most codes (`IST[0-9]{4}`) is about codes in general and is not judged."""
    if "IST" not in pattern:
        return
    try:
        compiled = re.compile(pattern)
    except re.error:
        return  # the loader reports a pattern that does not compile
    named = [code for code in facts.codes if compiled.search(code)]
    if not 1 < len(named) <= _FEW_CODES:
        return  # one code is written out literally, and the literal check has judged it
    missing = [line for line in facts.lines(span) if not any(line in facts.codes[code]["lines"] for code in named)]
    if missing:
        yield (
            f"none of the analyzer codes {', '.join(named)} this pattern names ships in istioctl {_list(missing)}, "
            f"but this holds for Istio {span.text}"
        )


def _text_problems(text: str, is_command: bool, span: Range, facts: Facts) -> Iterator[str]:
    lines = facts.lines(span)
    if not lines:
        return
    claimed = f"this holds for Istio {span.text}"
    for code in dict.fromkeys(_CODE.findall(text)):
        yield from _code_problems(code, span, lines, claimed, facts)
    if is_command:
        for words in _ISTIOCTL.findall(text):
            yield from _command_problems(words.split(), lines, claimed, facts)
    for term, fact in facts.terms.items():
        if term in text:
            missing = [line for line in lines if line not in fact["lines"]]
            if missing:
                where = ", ".join(fact["repositories"])
                yield f"{fact['kind']} `{term}` is not in Istio {_list(missing)} ({where}), but {claimed}"


def _flag_problems(text: str, span: Range, facts: Facts) -> Iterator[str]:
    for name in dict.fromkeys(found.strip(' "') for found in _FLAG_SET.findall(text)):
        if name in facts.flags:
            missing = [line for line in facts.lines(span) if not facts.flag_in(name, line, span)]
            if missing:
                yield (
                    f"feature flag `{name}` is registered in no Istio {_list(missing)} (istio/istio), so setting it "
                    f"there changes nothing, but this holds for Istio {span.text}"
                )


def _code_problems(code: str, span: Range, lines: list[str], claimed: str, facts: Facts) -> Iterator[str]:
    fact = facts.codes.get(code)
    if fact is None:
        yield f"analyzer code {code} is in no Istio release ({FACTS_FILE})"
        return
    # A code ships where an analyzer reports it; a message catalog entry alone is never reported.
    ships = shipping_range(fact["lines"], facts.minors) or "no release"
    name = f"analyzer code {code} ({fact['name']})"
    missing = [line for line in lines if line not in fact["lines"]]
    if missing:
        listed = [line for line in missing if line in fact.get("catalog_only", {})]
        note = f" (the {_list(listed)} message catalogs list it, but no analyzer reports it)" if listed else ""
        yield f"{name} ships in istioctl {ships}, not in {_list(missing)}{note}, but {claimed}"
        return
    for line in lines:
        first = parse_release(fact["lines"][line])
        if first.patch and span.admits(Release(first.major, first.minor, first.patch - 1)):
            yield f"{name} ships in the {line} line only from {first} (it ships in istioctl {ships}), but {claimed}"
            return


def shipping_range(first_patch: dict[str, str], minors: tuple[str, ...]) -> str:
    """The range of releases that ship a code, from the first patch of each minor line that has it:
    {1.25: 1.25.4, 1.26: 1.26.1, 1.27: 1.27.0, ...} -> `>=1.25.4, <1.26 || >=1.26.1`."""
    intervals: list[list[str]] = []
    for line in minors:
        first = first_patch.get(line)
        if intervals and len(intervals[-1]) == 1 and (first is None or not first.endswith(".0")):
            intervals[-1].append(f"<{line}")  # the open interval ends where this line starts
        if first is not None and (not intervals or len(intervals[-1]) == 2):
            intervals.append([f">={first.removesuffix('.0')}"])
    return " || ".join(", ".join(interval) for interval in intervals)


def command_path(words: list[str], facts: Facts) -> tuple[list[str], list[str]]:
    """The longest istioctl command path `words` name in some release (aliases resolved), as
    (canonical path, words as typed): `x waypoint status NAME` -> (experimental waypoint status, x waypoint status)."""
    path: list[str] = []
    typed: list[str] = []
    skip = False
    for word in words:
        if skip or word.startswith("-"):
            # A flag before the command words (`--context $CTX`): its value is not a command either.
            skip = word.startswith("-") and "=" not in word and not path
            continue
        if not _WORD.fullmatch(word):
            break
        # A word that is a command of its own in some release stays itself (`manifest apply`, 1.5-1.6), even
        # where later releases made it an alias (of `manifest install`); `_command_problems` checks both.
        literal = " ".join([*path, word]) in facts.paths
        canonical = word if literal else facts.aliases.get(" ".join(path), {}).get(word, word)
        if " ".join([*path, canonical]) not in facts.paths:
            break
        path.append(canonical)
        typed.append(word)
    return path, typed


def _command_problems(words: list[str], lines: list[str], claimed: str, facts: Facts) -> Iterator[str]:
    path, typed = command_path(words, facts)
    if not path:
        first = next((word for word in words if _WORD.fullmatch(word)), None)
        if first is not None and not words[0].startswith("-"):
            yield f"`istioctl {first}` is a command of no Istio release ({FACTS_FILE})"
        return
    spans = facts.paths[" ".join(path)]
    aliased = _aliased(typed, facts)
    if aliased != path and " ".join(aliased) in facts.paths:
        spans = [*spans, *facts.paths[" ".join(aliased)]]  # where the words are an alias of another command
    missing = [line for line in lines if not facts.in_spans(spans, line)]
    if missing:
        there = _elsewhere(path, typed, missing[0], facts)
        yield f"`istioctl {' '.join(typed)}` is not in istioctl {_list(missing)}{there}, but {claimed}"


def _aliased(typed: list[str], facts: Facts) -> list[str]:
    """The command path `typed` names with every word read as an alias where its parent has one."""
    path: list[str] = []
    for word in typed:
        path.append(facts.aliases.get(" ".join(path), {}).get(word, word))
    return path


def _elsewhere(path: list[str], typed: list[str], line: str, facts: Facts) -> str:
    """Where the same command lives in `line`: under `experimental` (`x`), or out of it."""
    moved, shown = (path[1:], typed[1:]) if path[0] == "experimental" else (["experimental", *path], ["x", *typed])
    spans = facts.paths.get(" ".join(moved))
    if spans is not None and facts.in_spans(spans, line):
        return f" (it has `istioctl {' '.join(shown)}`)"
    return ""


def _ambient_problems(runbook: Runbook) -> Iterator[VersionProblem]:
    if DataPlane.AMBIENT not in runbook.applies_to.data_plane:
        return
    steps = [*runbook.diagnosis, *runbook.fix, *runbook.verify]
    if not any(_AMBIENT_DIAGNOSIS.search(command) for step in steps for command in step.commands):
        yield VersionProblem(
            ("applies_to", "data_plane"),
            "claims ambient but no step's command looks at ztunnel or a waypoint "
            "(istioctl ztunnel-config, ztunnel logs, waypoint status); add one or claim sidecar only",
        )


def _list(lines: list[str]) -> str:
    """Minor lines as runs: `1.20, 1.21, 1.22`, `1.23..1.30`, or `1.4, 1.5, 1.12..1.15` across a union's gap."""
    runs: list[list[str]] = []
    for line in lines:
        if runs and _next_minor(runs[-1][-1]) == line:
            runs[-1].append(line)
        else:
            runs.append([line])
    return ", ".join(f"{run[0]}..{run[-1]}" if len(run) > 3 else ", ".join(run) for run in runs)


def _next_minor(line: str) -> str:
    major, minor = line.split(".")
    return f"{major}.{int(minor) + 1}"


# --- Envoy stats Istio's default stats matcher drops -------------------------------------------------------
# Istio's bootstrap keeps only the stats its inclusion list names (kb/data/istio-facts.json "stats_kept": the
# template's own prefixes and pkg/bootstrap's requiredEnvoyStatsMatcherInclusion*); `pilot-agent request GET
# stats` or the admin /stats then lists no other stat, so a grep for one prints nothing. A grep is judged from
# the names Envoy gives its stats: the families below, with a placeholder where the name holds a cluster, a
# stat prefix or an address (a `$VARIABLE` in the pattern stands for such a placeholder). A pattern that
# matches no name here is not judged. The `xds-grpc` cluster's stats are kept, but they describe the proxy's
# own connection to istiod: a pattern is about them only when it names `xds-grpc`.
_STATS_READ = re.compile(
    r"pilot-agent\s+request\s+GET\s+['\"]?/?stats\b|(?:localhost|127\.0\.0\.1|\[::1\]):15000/stats\b"
    r"|\bcurl\b[^|;&]*/stats\b"
)
_STATS_INCLUDED = re.compile(r"statsInclusion(?:Prefixes|Suffixes|Regexps)|proxyStatsMatcher")
_VARIABLE = re.compile(r"\$\{?\w+\}?")
_PLACE = "\0"  # a placeholder in a stat name: no pattern's literal text holds it


def _names(text: str) -> list[str]:
    return text.split()


_SUBSCRIPTION = _names(
    "update_attempt update_success update_failure update_rejected update_time version version_text "
    "init_fetch_timeout update_duration control_plane.connected_state"
)
_CLUSTER_STATS = _names(
    "upstream_cx_total upstream_cx_http1_total upstream_cx_http2_total upstream_cx_http3_total upstream_cx_active "
    "upstream_cx_connect_fail upstream_cx_connect_timeout upstream_cx_connect_with_0_rtt upstream_cx_idle_timeout "
    "upstream_cx_max_duration_reached upstream_cx_connect_attempts_exceeded upstream_cx_overflow "
    "upstream_cx_connect_ms upstream_cx_length_ms upstream_cx_destroy upstream_cx_destroy_local "
    "upstream_cx_destroy_remote upstream_cx_destroy_with_active_rq upstream_cx_destroy_local_with_active_rq "
    "upstream_cx_destroy_remote_with_active_rq upstream_cx_close_notify upstream_cx_rx_bytes_total "
    "upstream_cx_rx_bytes_buffered upstream_cx_tx_bytes_total upstream_cx_tx_bytes_buffered "
    "upstream_cx_pool_overflow upstream_cx_protocol_error upstream_cx_max_requests upstream_cx_none_healthy "
    "upstream_rq_total upstream_rq_active upstream_rq_pending_total upstream_rq_pending_overflow "
    "upstream_rq_pending_failure_eject upstream_rq_pending_active upstream_rq_cancelled "
    "upstream_rq_maintenance_mode upstream_rq_timeout upstream_rq_max_duration_reached "
    "upstream_rq_per_try_timeout upstream_rq_per_try_idle_timeout upstream_rq_rx_reset upstream_rq_tx_reset "
    "upstream_rq_retry upstream_rq_retry_backoff_exponential upstream_rq_retry_backoff_ratelimited "
    "upstream_rq_retry_limit_exceeded upstream_rq_retry_success upstream_rq_retry_overflow upstream_rq_completed "
    "upstream_rq_time upstream_rq_200 upstream_rq_2xx upstream_rq_4xx upstream_rq_503 upstream_rq_5xx "
    "internal.upstream_rq_5xx external.upstream_rq_5xx upstream_flow_control_paused_reading_total "
    "upstream_flow_control_resumed_reading_total upstream_flow_control_backed_up_total "
    "upstream_flow_control_drained_total upstream_internal_redirect_failed_total "
    "upstream_internal_redirect_succeeded_total membership_change membership_healthy membership_degraded "
    "membership_excluded membership_total retry_or_shadow_abandoned update_attempt update_success update_failure "
    "update_empty update_no_rebuild version max_host_weight bind_errors assignment_timeout_received "
    "assignment_stale original_dst_host_invalid lb_healthy_panic lb_local_cluster_not_ok "
    "lb_zone_routing_all_directly lb_zone_routing_sampled lb_zone_routing_cross_zone lb_zone_no_capacity_left "
    "lb_recalculate_zone_structures lb_subsets_active lb_subsets_created lb_subsets_removed lb_subsets_selected "
    "lb_subsets_fallback lb_subsets_fallback_panic lb_subsets_single_host_per_subset_duplicate "
    "outlier_detection.ejections_enforced_total outlier_detection.ejections_active "
    "outlier_detection.ejections_overflow outlier_detection.ejections_enforced_consecutive_5xx "
    "outlier_detection.ejections_detected_consecutive_5xx outlier_detection.ejections_enforced_success_rate "
    "outlier_detection.ejections_detected_success_rate "
    "outlier_detection.ejections_enforced_consecutive_gateway_failure "
    "outlier_detection.ejections_detected_consecutive_gateway_failure "
    "outlier_detection.ejections_enforced_consecutive_local_origin_failure "
    "outlier_detection.ejections_detected_consecutive_local_origin_failure "
    "outlier_detection.ejections_enforced_local_origin_success_rate "
    "outlier_detection.ejections_detected_local_origin_success_rate "
    "outlier_detection.ejections_enforced_failure_percentage "
    "outlier_detection.ejections_detected_failure_percentage outlier_detection.ejections_total "
    "outlier_detection.ejections_consecutive_5xx circuit_breakers.default.cx_open "
    "circuit_breakers.default.cx_pool_open circuit_breakers.default.rq_pending_open "
    "circuit_breakers.default.rq_open circuit_breakers.default.rq_retry_open "
    "circuit_breakers.default.remaining_cx circuit_breakers.default.remaining_pending "
    "circuit_breakers.default.remaining_rq circuit_breakers.default.remaining_retries "
    "circuit_breakers.default.remaining_cx_pools circuit_breakers.high.cx_open "
    "circuit_breakers.high.rq_pending_open circuit_breakers.high.rq_open circuit_breakers.high.rq_retry_open "
    "health_check.attempt health_check.success health_check.failure health_check.passive_failure "
    "health_check.network_failure health_check.verify_cluster health_check.healthy ssl.connection_error "
    "ssl.handshake ssl.session_reused ssl.no_certificate ssl.fail_verify_no_cert ssl.fail_verify_error "
    "ssl.fail_verify_san ssl.fail_verify_cert_hash client_ssl_socket_factory.ssl_context_update_by_sds "
    "client_ssl_socket_factory.upstream_context_secrets_not_ready ext_authz.ok ext_authz.error ext_authz.denied "
    "ext_authz.disabled ext_authz.failure_mode_allowed ratelimit.ok ratelimit.error ratelimit.over_limit "
    "ratelimit.failure_mode_allowed http1.dropped_headers_with_underscores http1.metadata_not_supported_error "
    "http1.response_flood http1.requests_rejected_with_underscores_in_headers http2.header_overflow "
    "http2.headers_cb_no_stream http2.rx_messaging_error http2.rx_reset http2.tx_reset http2.trailers "
    "http2.too_many_header_frames http2.stream_refused_errors http2.goaway_sent http2.streams_active "
    "http2.pending_send_bytes http2.outbound_flood http2.outbound_control_flood http2.inbound_empty_frames_flood "
    "http2.inbound_priority_frames_flood http2.inbound_window_update_frames_flood http2.keepalive_timeout "
    "http2.tx_flush_timeout"
)
_CODEC_STATS = [stat for stat in _CLUSTER_STATS if stat.startswith(("http1.", "http2."))]
_HCM_STATS = _names(
    "downstream_cx_total downstream_cx_ssl_total downstream_cx_http1_total downstream_cx_upgrades_total "
    "downstream_cx_http2_total downstream_cx_http3_total downstream_cx_destroy downstream_cx_destroy_remote "
    "downstream_cx_destroy_local downstream_cx_destroy_active_rq downstream_cx_destroy_local_active_rq "
    "downstream_cx_destroy_remote_active_rq downstream_cx_active downstream_cx_ssl_active "
    "downstream_cx_http1_active downstream_cx_upgrades_active downstream_cx_http2_active "
    "downstream_cx_http3_active downstream_cx_protocol_error downstream_cx_length_ms downstream_cx_rx_bytes_total "
    "downstream_cx_rx_bytes_buffered downstream_cx_tx_bytes_total downstream_cx_tx_bytes_buffered "
    "downstream_cx_drain_close downstream_cx_idle_timeout downstream_cx_max_duration_reached "
    "downstream_cx_max_requests_reached downstream_cx_overload_disable_keepalive "
    "downstream_cx_delayed_close_timeout downstream_flow_control_paused_reading_total "
    "downstream_flow_control_resumed_reading_total downstream_rq_total downstream_rq_http1_total "
    "downstream_rq_http2_total downstream_rq_http3_total downstream_rq_active "
    "downstream_rq_response_before_rq_complete downstream_rq_rx_reset downstream_rq_tx_reset "
    "downstream_rq_non_relative_path downstream_rq_too_large downstream_rq_completed "
    "downstream_rq_failed_path_normalization downstream_rq_1xx downstream_rq_2xx downstream_rq_3xx "
    "downstream_rq_4xx downstream_rq_5xx downstream_rq_time downstream_rq_idle_timeout "
    "downstream_rq_header_timeout downstream_rq_max_duration_reached downstream_rq_timeout "
    "downstream_rq_overload_close downstream_rq_redirected_with_normalized_path downstream_rq_ws_on_non_ws_route "
    "rs_too_large no_route no_cluster rq_redirect rq_direct_response rq_total "
    "rq_reset_after_downstream_response_started rbac.allowed rbac.denied rbac.shadow_allowed rbac.shadow_denied "
    "ext_authz.ok ext_authz.denied ext_authz.error ext_authz.disabled ext_authz.failure_mode_allowed "
    "fault.aborts_injected fault.delays_injected fault.active_faults jwt_authn.allowed jwt_authn.denied "
    "jwt_authn.cors_preflight_bypassed"
)
_LISTENER_STATS = _names(
    "downstream_cx_total downstream_cx_destroy downstream_cx_active downstream_cx_length_ms "
    "downstream_cx_overflow downstream_cx_overload_reject downstream_global_cx_overflow downstream_pre_cx_timeout "
    "downstream_pre_cx_active extension_config_missing network_extension_config_missing no_filter_chain_match "
    "downstream_listener_filter_error downstream_listener_filter_remote_close ssl.connection_error ssl.handshake "
    "ssl.session_reused ssl.no_certificate ssl.fail_verify_no_cert ssl.fail_verify_error ssl.fail_verify_san "
    "ssl.fail_verify_cert_hash server_ssl_socket_factory.ssl_context_update_by_sds "
    "server_ssl_socket_factory.downstream_context_secrets_not_ready http.{prefix}.downstream_rq_1xx "
    "http.{prefix}.downstream_rq_2xx http.{prefix}.downstream_rq_3xx http.{prefix}.downstream_rq_4xx "
    "http.{prefix}.downstream_rq_5xx http.{prefix}.downstream_rq_completed"
)
_TCP_STATS = _names(
    "downstream_cx_total downstream_cx_no_route downstream_cx_tx_bytes_total downstream_cx_tx_bytes_buffered "
    "downstream_cx_rx_bytes_total downstream_cx_rx_bytes_buffered downstream_flow_control_paused_reading_total "
    "downstream_flow_control_resumed_reading_total idle_timeout max_downstream_connection_duration "
    "upstream_flush_total upstream_flush_active"
)
_SERVER_STATS = _names(
    "uptime concurrency memory_allocated memory_heap_size memory_physical_size live state parent_connections "
    "total_connections version days_until_first_cert_expiring seconds_until_first_ocsp_response_expiring "
    "hot_restart_epoch hot_restart_generation initialization_time_ms debug_assertion_failures envoy_bug_failures "
    "envoy_notifications dynamic_unknown_fields static_unknown_fields wip_protos dropped_stat_flushes "
    "stats_recent_lookups compilation_settings.fips_mode main_thread.watchdog_miss main_thread.watchdog_mega_miss "
    "worker_0.watchdog_miss worker_0.watchdog_mega_miss watchdog_miss watchdog_mega_miss"
)
_CLUSTER_MANAGER_STATS = _names(
    "cluster_added cluster_modified cluster_removed cluster_updated cluster_updated_via_merge "
    "update_merge_cancelled update_out_of_merge_window active_clusters warming_clusters"
) + [f"cds.{stat}" for stat in _SUBSCRIPTION]
_LISTENER_MANAGER_STATS = _names(
    "listener_added listener_modified listener_removed listener_stopped listener_create_success "
    "listener_create_failure listener_in_place_updated total_filter_chains_draining total_listeners_warming "
    "total_listeners_active total_listeners_draining workers_started"
) + [f"lds.{stat}" for stat in _SUBSCRIPTION]
# (how the family's names start, its stats): `{x}` is a placeholder. The HTTP connection manager's, the TCP
# proxy's and the route's stats carry the listener's stat prefix; SDS stats the secret's name.
_STAT_FAMILIES: tuple[tuple[str, list[str]], ...] = (
    ("cluster.{cluster}.", _CLUSTER_STATS),
    ("http.{prefix}.", _HCM_STATS),
    ("listener.{address}.", _LISTENER_STATS),
    ("tcp.{prefix}.", _TCP_STATS),
    ("", _CODEC_STATS),  # the downstream codecs' stats: http1.*, http2.*
    ("sds.{secret}.", _SUBSCRIPTION),
    ("http.{prefix}.rds.{route}.", _SUBSCRIPTION),
    ("{prefix}.http_local_rate_limit.", ["enabled", "enforced", "rate_limited", "ok"]),
    ("server.", _SERVER_STATS),
    ("cluster_manager.", _CLUSTER_MANAGER_STATS),
    ("listener_manager.", _LISTENER_MANAGER_STATS),
)
_XDS_GRPC = "cluster.xds-grpc."


@cache
def _stat_names(xds_grpc: bool) -> tuple[tuple[str, str], ...]:
    """(name with placeholders as `\\0`, name as shown: `cluster.<cluster>.upstream_rq_total`) for every stat above;
    with the xds-grpc cluster's own stats when a pattern names it."""
    families = [*_STAT_FAMILIES, (_XDS_GRPC, _CLUSTER_STATS)] if xds_grpc else list(_STAT_FAMILIES)
    names = []
    for head, stats in families:
        for stat in stats:
            template = head + stat
            names.append((re.sub(r"\{\w+\}", _PLACE, template), re.sub(r"\{(\w+)\}", r"<\1>", template)))
    return tuple(names)


def _kept_patterns(facts: Facts, line: str) -> tuple[list[str], list[str], list[str]]:
    kept = facts.stats_kept
    held = [
        [value for value, spans in kept.get(kind, {}).items() if facts.in_spans(spans, line)]
        for kind in ("prefix", "suffix", "regex")
    ]
    return held[0], held[1], held[2]


def _is_kept(name: str, prefixes: list[str], suffixes: list[str], regexes: list[str]) -> bool:
    # Envoy's StringMatcher: prefix, suffix, or a regex that matches the whole name.
    if any(name.startswith(p) for p in prefixes) or any(name.endswith(s) for s in suffixes):
        return True
    for regex in regexes:
        try:
            if re.fullmatch(regex, name):
                return True
        except re.error:
            continue
    return False


def _split_top(pattern: str) -> list[str]:
    """A regex's top-level alternatives: `a|b(c|d)` -> [a, b(c|d)]."""
    parts, depth, current, escaped = [], 0, "", False
    for char in pattern:
        if escaped:
            current, escaped = current + char, False
            continue
        if char == "\\":
            current, escaped = current + char, True
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _basic_to_extended(pattern: str) -> str | None:
    """A grep basic regex as an extended one (`a\\|b` -> `a|b`); None when it has a literal `|`, `(` or `)`."""
    if re.search(r"(?<!\\)[|()+?{}]", pattern):
        return None
    return pattern.replace("\\|", "|").replace("\\(", "(").replace("\\)", ")")


def _stat_filters(command: str) -> Iterator[tuple[str, bool, bool]]:
    """(pattern, extended regex, ignore case) for each grep and `?filter=` that narrows a stats read."""
    found = _STATS_READ.search(command)
    if found is None:
        return
    rest = command[found.start() :]
    try:
        lexer = shlex.shlex(rest, posix=True, punctuation_chars="|;&")
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        return  # unbalanced quotes: not judged
    for token in tokens[:4]:
        query = re.search(r"/?stats\?(?:[^#\s]*&)?filter=([^&\s]+)", token)
        if query:
            yield unquote(query[1]), True, False
    segments: list[list[str]] = [[]]
    for token in tokens:
        if token in (";", "&&", "||", "&"):
            break
        if token == "|":
            segments.append([])
        else:
            segments[-1].append(token)
    for segment in segments[1:]:
        if not segment or segment[0] not in ("grep", "egrep"):
            continue
        extended, ignore, fixed, patterns, words = segment[0] == "egrep", False, False, [], False
        arguments = iter(segment[1:])
        for argument in arguments:
            if argument == "-e":
                patterns.append(next(arguments, ""))
            elif argument.startswith("-") and len(argument) > 1:
                letters = argument.lstrip("-")
                if "v" in letters and not argument.startswith("--"):
                    patterns, words = [], True  # an exclusion: not a stat this reads
                    break
                extended |= "E" in letters or argument == "--extended-regexp"
                ignore |= "i" in letters
                fixed |= "F" in letters
            elif not patterns:
                patterns.append(argument)
        if words:
            continue
        for pattern in patterns:
            yield (re.escape(pattern) if fixed else pattern), extended or fixed, ignore


def _stat_alternative_problem(
    alternative: str, ignore: bool, lines: list[str], facts: Facts
) -> tuple[list[str], str] | None:
    """The lines whose default matcher keeps no stat `alternative` could be, with an example name; None when it
    names none of the stats above (not judged) or some line keeps one."""
    literal = _VARIABLE.sub("", alternative)
    if not re.search(r"[a-z0-9_]{3,}", literal, re.IGNORECASE):
        return None  # only a service name or a wildcard: it narrows, it names no stat
    regex = _VARIABLE.sub(_PLACE, alternative).replace("\\<", "\\b").replace("\\>", "\\b")
    try:
        compiled = re.compile(regex, re.IGNORECASE if ignore else 0)
    except re.error:
        return None
    names = [(name, shown) for name, shown in _stat_names("xds-grpc" in alternative) if compiled.search(name)]
    if not names:
        return None
    missing = [line for line in lines if not any(_is_kept(name, *_kept_patterns(facts, line)) for name, _ in names)]
    if not missing:
        return None
    # The example shown: a name the pattern matches to its end (the stat itself, not a longer one), shortest first.
    to_end = re.compile(f"(?:{regex})$", compiled.flags)
    example = min(names, key=lambda pair: (to_end.search(pair[0]) is None, len(pair[1])))
    return missing, example[1]


def _stats_problems(runbook: Runbook, facts: Facts) -> Iterator[VersionProblem]:
    """A step that greps Envoy's stats for a stat no release of its range keeps by default prints nothing there,
    unless the runbook says how to include it (an inclusion annotation or proxyStatsMatcher)."""
    if not facts.stats_kept:
        return
    overall = parse_range(runbook.applies_to.istio)
    steps = [
        (section, index, step)
        for section in ("diagnosis", "fix", "verify")
        for index, step in enumerate(getattr(runbook, section))
    ]
    for _, _, step in steps:
        texts = [step.text, *step.commands, step.expect or "", getattr(step, "manifest", None) or ""]
        if any(_STATS_INCLUDED.search(text) for text in texts):
            return
    for section, index, step in steps:
        span = overall if step.istio is None else overall.meet(parse_range(step.istio))
        lines = [line for line in facts.lines(span) if span.admits(parse_release(f"{line}.0"))]
        if not lines:
            continue
        for number, command in enumerate(step.commands):
            for pattern, extended, ignore in _stat_filters(command):
                regex = pattern if extended else _basic_to_extended(pattern)
                for alternative in _split_top(regex) if regex is not None else []:
                    found = _stat_alternative_problem(alternative, ignore, lines, facts)
                    if found is None:
                        continue
                    missing, shown = found
                    yield VersionProblem(
                        (section, index, "commands", number),
                        f"reads Envoy stats for `{alternative}` (such as `{shown}`), but Istio {_list(missing)}'s "
                        "default stats matcher keeps no stat of that name, so the filter prints nothing; say how "
                        "to include it (annotation sidecar.istio.io/statsInclusionPrefixes, statsInclusionSuffixes "
                        "or statsInclusionRegexps, or proxyStatsMatcher in ProxyConfig or meshConfig.defaultConfig), "
                        f"but this holds for Istio {span.text}",
                    )
