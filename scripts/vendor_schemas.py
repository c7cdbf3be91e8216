"""Write kb/data/crd-schemas.json: the OpenAPI schemas of Istio's CRDs and of Gateway API at release tags.

    python scripts/vendor_schemas.py ISTIO_GIT_DIR [--tags 1.5.0 1.10.0 1.30.3] [--out kb/data/crd-schemas.json]

Read from the CRD files Istio ships at each tag (`manifests/charts/base/files/crd-all.gen.yaml` and its older
homes) and the Gateway API CRDs Istio tests against (`tests/integration/pilot/testdata/gateway-api-crd.yaml`).
Without --tags: the first release of every minor line from the lowest one runbooks claim (`applies_to.istio`
lower bound) whose CRD file carries schemas up to the newest, and the newest release (`kb lint` checks a
manifest against every snapshot a step's range admits). Made compact for the wheel: descriptions dropped,
identical schemas stored once, and large subtrees several schemas share stored once under `shared`.
Objects that list `properties` and do not keep unknown fields are closed (`additionalProperties: false`):
the API server would prune an unknown field silently; kubectl's strict validation and `kb lint` refuse it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CRD_FILES = (
    "manifests/charts/base/files/crd-all.gen.yaml",
    "manifests/charts/base/crds/crd-all.gen.yaml",
    "install/kubernetes/helm/istio-init/files/crd-all.gen.yaml",
)
GATEWAY_API_FILE = "tests/integration/pilot/testdata/gateway-api-crd.yaml"
STABLE = re.compile(r"^([0-9]+)\.([0-9]+)\.([0-9]+)$")
# The kinds a runbook fix may carry: Istio's current APIs and the Gateway API resources Istio implements.
KINDS = {
    "DestinationRule",
    "EnvoyFilter",
    "Gateway",
    "ServiceEntry",
    "Sidecar",
    "VirtualService",
    "WorkloadEntry",
    "WorkloadGroup",
    "ProxyConfig",
    "AuthorizationPolicy",
    "PeerAuthentication",
    "RequestAuthentication",
    "Telemetry",
    "WasmPlugin",
    "GatewayClass",
    "HTTPRoute",
    "GRPCRoute",
    "ReferenceGrant",
    "TCPRoute",
    "TLSRoute",
}
GROUPS = {
    "networking.istio.io",
    "security.istio.io",
    "telemetry.istio.io",
    "extensions.istio.io",
    "gateway.networking.k8s.io",
}
# Subtrees this large (in JSON characters) are stored once when several schemas share them.
SHARED_SIZE = 120
DROP = {"description", "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type"}


def show(repo: Path, tag: str, path: str) -> str | None:
    done = subprocess.run(["git", "-C", str(repo), "show", f"{tag}:{path}"], capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else None


def compact(schema: Any) -> Any:
    """Descriptions dropped, objects with properties closed unless they keep unknown fields."""
    if isinstance(schema, list):
        return [compact(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: compact(value) for key, value in schema.items() if key not in DROP}
    if (
        "properties" in result
        and "additionalProperties" not in result
        and not result.get("x-kubernetes-preserve-unknown-fields")
    ):
        result["additionalProperties"] = False
    return result


def share(stored: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every object subtree of SHARED_SIZE characters or more that occurs twice or more (a VirtualService's
    `http` route in 20 releases) stored once under `shared` and replaced by `{"shared": digest}`."""
    counts: dict[str, int] = {}

    def count(node: Any) -> None:
        if isinstance(node, dict):
            blob = json.dumps(node, sort_keys=True, separators=(",", ":"))
            if len(blob) >= SHARED_SIZE:
                key = hashlib.sha256(blob.encode()).hexdigest()[:16]
                counts[key] = counts.get(key, 0) + 1
                if counts[key] > 1:
                    return  # its insides were counted the first time
            for value in node.values():
                count(value)
        elif isinstance(node, list):
            for value in node:
                count(value)

    shared: dict[str, Any] = {}

    def replace(node: Any, top: bool = False) -> Any:
        if isinstance(node, dict):
            blob = json.dumps(node, sort_keys=True, separators=(",", ":"))
            key = hashlib.sha256(blob.encode()).hexdigest()[:16]
            if not top and len(blob) >= SHARED_SIZE and counts.get(key, 0) > 1:
                if key not in shared:
                    shared[key] = None  # reserved before recursing, so the order is stable
                    shared[key] = replace(node, top=True)
                return {"shared": key}
            return {name: replace(value) for name, value in node.items()}
        if isinstance(node, list):
            return [replace(value) for value in node]
        return node

    for schema in stored.values():
        count(schema)
    return {digest: replace(schema, top=True) for digest, schema in stored.items()}, shared


def crd_schemas(text: str) -> dict[str, Any]:
    """`group/version/Kind` -> the schema of the whole object (apiVersion, kind and metadata allowed)."""
    found: dict[str, Any] = {}
    for doc in yaml.safe_load_all(text):
        if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
            continue
        spec = doc["spec"]
        if spec["names"]["kind"] not in KINDS or spec["group"] not in GROUPS:
            continue
        legacy = (spec.get("validation") or {}).get("openAPIV3Schema")
        for version in spec.get("versions") or [{"name": spec.get("version")}]:
            schema = ((version.get("schema") or {}).get("openAPIV3Schema")) or legacy
            if not schema or version.get("served") is False:
                continue
            schema = compact(schema)
            properties = schema.setdefault("properties", {})
            for key in ("apiVersion", "kind"):
                properties.setdefault(key, {"type": "string"})
            properties.setdefault("metadata", {"type": "object"})
            properties.pop("status", None)
            found[f"{spec['group']}/{version['name']}/{spec['names']['kind']}"] = schema
    return found


def lower_bounds() -> list[tuple[int, int]]:
    bounds = set()
    for file in (ROOT / "runbooks").rglob("*.yaml"):
        found = re.search(r'^\s+istio: "(?:>=|==)([0-9]+)\.([0-9]+)', file.read_text(encoding="utf-8"), re.M)
        if found:
            bounds.add((int(found[1]), int(found[2])))
    return sorted(bounds)


def default_tags(repo: Path) -> list[str]:
    tags = sorted(
        (tuple(int(part) for part in found.groups()), tag)
        for tag in subprocess.run(["git", "-C", str(repo), "tag"], capture_output=True, text=True).stdout.split()
        if (found := STABLE.match(tag))
    )
    firsts: dict[tuple[int, ...], str] = {}
    for version, tag in tags:
        firsts.setdefault(version[:2], tag)
    oldest = next(
        bound for bound in lower_bounds() if bound in firsts and any(show(repo, firsts[bound], p) for p in CRD_FILES)
    )
    wanted = [tag for minor, tag in firsts.items() if minor >= oldest] + [tags[-1][1]]
    return sorted(set(wanted), key=lambda tag: tuple(map(int, tag.split("."))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("istio", type=Path, help="git dir of istio/istio")
    parser.add_argument("--tags", nargs="*", help="release tags to read (default: see the module docstring)")
    parser.add_argument("--out", type=Path, default=ROOT / "kb" / "data" / "crd-schemas.json")
    args = parser.parse_args(argv)
    tags = args.tags or default_tags(args.istio)
    stored: dict[str, Any] = {}
    releases: dict[str, dict[str, str]] = {}
    commits: dict[str, str] = {}
    for tag in tags:
        schemas: dict[str, Any] = {}
        for path in CRD_FILES:
            text = show(args.istio, tag, path)
            if text:
                schemas.update(crd_schemas(text))
                break
        gateway_api = show(args.istio, tag, GATEWAY_API_FILE)
        if gateway_api:
            schemas.update(crd_schemas(gateway_api))
        if not schemas:
            print(f"{tag}: no CRD schemas, skipped", file=sys.stderr)
            continue
        index = {}
        for key, schema in sorted(schemas.items()):
            blob = json.dumps(schema, sort_keys=True, separators=(",", ":"))
            digest = hashlib.sha256(blob.encode()).hexdigest()[:16]
            stored.setdefault(digest, schema)
            index[key] = digest
        releases[tag] = index
        commits[tag] = subprocess.run(
            ["git", "-C", str(args.istio), "rev-list", "-n1", tag], capture_output=True, text=True
        ).stdout.strip()
    out = {"generated_by": "scripts/vendor_schemas.py", "sources": {"istio/istio": commits}, "releases": releases}
    out["schemas"], out["shared"] = share(stored)
    args.out.write_text(json.dumps(out, sort_keys=True, separators=(",", ":")) + "\n")
    print(f"wrote {args.out}: {len(releases)} releases, {len(stored)} distinct schemas", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
