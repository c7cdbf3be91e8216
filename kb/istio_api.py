"""Which Istio API versions a manifest may use for the Istio releases a runbook applies to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Version = tuple[int, ...]

# Istio 1.22 promoted the networking, security and telemetry APIs to v1 (istio.io/latest/blog/2024/v1-apis/);
# older control planes do not serve these group versions at all.
SERVED_FROM: dict[str, Version] = {
    "networking.istio.io/v1": (1, 22),
    "security.istio.io/v1": (1, 22),
    "telemetry.istio.io/v1": (1, 22),
}

# EnvoyFilter never left v1alpha3.
ONLY_VERSION: dict[str, str] = {"EnvoyFilter": "networking.istio.io/v1alpha3"}


def parse_version(text: str) -> Version:
    return tuple(int(part) for part in text.split("."))


def lower_bound(version_range: str) -> Version:
    """The oldest release a range such as `>=1.6, <1.9.2` (or a union of such) admits; (0,) when it has no
    lower bound."""
    lows = []
    for alternative in version_range.split("||"):
        bounds = [c.strip() for c in alternative.split(",")]
        found = [parse_version(c.lstrip(">=")) for c in bounds if c.startswith((">=", "==", ">"))]
        if not found:
            return (0,)
        lows.append(max(found))
    return min(lows)


def resource_problems(resource: Mapping[str, Any], oldest: Version) -> list[str]:
    """Why the oldest Istio release a runbook admits would not serve this resource's apiVersion."""
    problems = []
    api_version, kind = str(resource.get("apiVersion")), str(resource.get("kind"))
    needed = SERVED_FROM.get(api_version)
    if needed is not None and oldest < needed:
        shown = ".".join(map(str, oldest)) if oldest != (0,) else "any version"
        problems.append(
            f"{kind} uses {api_version}, served from Istio {'.'.join(map(str, needed))}, "
            f"but applies_to.istio admits {shown}; use an older API version or raise applies_to"
        )
    required = ONLY_VERSION.get(kind)
    if required is not None and api_version != required:
        problems.append(f"{kind} must use apiVersion {required}, got {api_version}")
    return problems
