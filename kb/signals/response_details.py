"""Envoy %RESPONSE_CODE_DETAILS% and %CONNECTION_TERMINATION_DETAILS% values anywhere in the text."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, matches
from kb.vocabulary import SignalKind

name = "response_details"
description = "Envoy response-code and connection-termination details, and the reset reason inside them."

# Details Envoy sets itself (stream_info.h ResponseCodeDetailValues plus common filter details).
_WORDS = (
    "no_healthy_upstream", "route_not_found", "route_configuration_not_found", "cluster_not_found",
    "direct_response", "maintenance_mode", "response_timeout", "upstream_response_timeout",
    "upstream_per_try_timeout", "upstream_per_try_idle_timeout", "upstream_max_stream_duration_reached",
    "stream_idle_timeout", "max_duration_timeout", "request_overall_timeout", "request_header_timeout",
    "downstream_header_timeout", "request_payload_too_large", "response_payload_too_large",
    "request_payload_exceeded_retry_buffer_limit", "low_version", "missing_host_header",
    "missing_path_rejected", "invalid_path", "absolute_path_rejected", "path_normalization_failed",
    "request_headers_failed_strict_check", "upgrade_failed", "websocket_handshake_unsuccessful",
    "filter_chain_not_found", "downstream_remote_disconnect", "duration_timeout", "drop_overload",
    "unconditional_drop_overload", "ext_authz_denied", "ext_authz_error", "local_rate_limited",
    "request_rate_limited", "fault_filter_abort", "internal_redirect", "admin_filter_response",
)  # fmt: skip
_TERMINATION = (
    "on_idle_timeout", "deferred_close_on_drained_connection", "http2_ping_timeout",
    "http2_connection_protocol_violation", "transport_socket_timeout", "tcp_session_idle_timeout",
    "max_connection_duration_reached", "triggered_delayed_close_timeout",
)  # fmt: skip
_DETAIL = re.compile(
    r"\b(upstream_reset_(?:before|after)_response_started\{[^{}\s\"]{0,300}\}"
    r"|rbac_access_denied_matched_policy\[(?:[^\[\]\s\"]|\[[^\[\]\s\"]{0,200}\]){0,300}\]"
    r"|jwt_authn_access_denied\{[^{}\s\"]{0,200}\}"
    r"|downstream_local_disconnect\([^()\s\"]{0,200}\)"
    r"|http[12]\.[a-z0-9_.]{3,80}"
    rf"|{'|'.join(_WORDS + _TERMINATION)})(?![\w])"
)


# Every detail holds one of these; most logs hold none, so the pattern runs on few lines.
_NEEDLES = ("upstream_reset_", "rbac_access", "jwt_authn", "_disconnect", "http1.", "http2.", *_WORDS, *_TERMINATION)


def _signals(value: str, line: int) -> list[Signal]:
    if value in _TERMINATION:
        return [Signal(SignalKind.CONNECTION_TERMINATION_DETAILS, value, line)]
    found = [Signal(SignalKind.RESPONSE_CODE_DETAILS, value, line)]
    if value.startswith("upstream_reset_"):
        # `{remote_connection_failure|delayed_connect_error:_111}`: reset reason, then transport failure.
        # Older Envoys separate the two with `,`: `{remote_connection_failure,delayed_connect_error:_111}`.
        reason, _, transport = value[value.index("{") + 1 : -1].replace(",", "|", 1).partition("|")
        found.append(Signal(SignalKind.RESET_REASON, reason.replace("_", " "), line))
        if transport:
            found.append(Signal(SignalKind.TRANSPORT_FAILURE_REASON, transport, line))
    return found


def extract(paste: Paste) -> list[Signal]:
    return [signal for line, match in matches(paste, _DETAIL, _NEEDLES) for signal in _signals(match[1], line)]
