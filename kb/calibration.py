"""How sure kb may be: whether a paste is about a mesh at all, and when one clear winner is a high answer.

Two rules, measured on the tuning half of the field corpus (`eval/field.yaml`, `kb eval --holdout-sources`):

* A paste that neither shows a mesh signal (a flag, a detail, an istiod scope, a mesh port...) nor names a
  mesh component is not a mesh problem as far as kb can tell: every answer to it is low. A Python traceback,
  an nginx `upstream timed out`, a Java `PKIX path building failed` or a kubelet probe message on a plain
  Deployment all look like something a runbook covers, and a medium answer to them would be a false alarm.
  Only declared evidence as strong as a high answer needs (an istiod message a runbook names word for word,
  such as `skipping server on gateway ..., duplicate host names`) still makes a medium answer there, and
  signatures on signals every client prints do not count toward it: Python's `[SSL:
  CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired` holds two TLS-reason
  signatures of a runbook about Envoy's upstream TLS, and says nothing of a mesh.
* In a mesh paste, a runbook whose declared evidence is strong and whose score is well ahead of every other
  runbook's is a high answer, even when its signatures are patterns on text rather than mesh signals: the
  separation shows the paste is about that failure and nothing nearby. Evidence of medium strength is enough
  when two independent readings agree: a signature on a mesh signal (a flag, a reset reason, a detail) held or
  the paste shows a mesh at work, the text search ranks the same runbook first, and its score is well ahead.
"""

from __future__ import annotations

import re

from kb.rank import HIGH_EVIDENCE

# Words that only appear when a service mesh or an Envoy-based proxy is in the story. Plain `gateway`,
# `proxy` or `mtls` are left out: nginx, Kong, Kafka and every corporate proxy use them too. Citadel and Galley are
# the names of Istio's CA and config components before istiod (1.5), still in old threads and pastes.
_MESH_WORDS = re.compile(
    r"\b(?:istio|istiod|envoy|sidecars?|pilot-agent|pilot-discovery|citadel|galley|ztunnel|waypoints?|hbone"
    r"|service mesh|xds|lds|cds|eds|rds"
    r"|virtualservices?|destinationrules?|serviceentry|serviceentries|peerauthentication|authorizationpolicy"
    r"|requestauthentication|envoyfilters?|istioctl|ingressgateway|egressgateway|httproute|grpcroute"
    r"|higress|kgateway|gloo|app mesh|appmesh|emissary|contour)\b"
    r"|网格|边车",
    re.IGNORECASE,
)
# A clear winner: declared evidence at least this strong, and a score this many times the runner-up's.
# (With HIGH_EVIDENCE-strong evidence a smaller lead is enough.)
WINNER_EVIDENCE = 4.0
WINNER_LEAD = 2.0
STRONG_WINNER_EVIDENCE = 6.0
STRONG_WINNER_LEAD = 1.5
# Medium evidence that includes a signature on a mesh signal, when the text search agrees on the runbook.
AGREED_WINNER_EVIDENCE = 3.0
AGREED_WINNER_LEAD = 2.0


# A paste from an ambient mesh (ztunnel, waypoint or HBONE output, no sidecar anywhere in it): runbooks that
# apply to sidecars only keep this share of their score and are never high. Their diagnosis and fix act on an
# Envoy sidecar the paste's workloads do not run; they stay listed, lower, in case the mesh is mixed.
SIDECAR_ONLY_IN_AMBIENT = 0.5
_NAMES_SIDECARS = re.compile(r"\bsidecars?\b|istio-proxy|边车", re.IGNORECASE)


def ambient_only(planes: set[str], text: str) -> bool:
    """Whether the paste shows only the ambient data plane: ambient output, and no sidecar shown or named."""
    return planes == {"ambient"} and _NAMES_SIDECARS.search(text) is None


def strong_without_mesh(evidence: float) -> bool:
    """Whether declared evidence alone (beyond signatures on generic signals) makes an answer medium in a paste
    that shows no mesh."""
    return evidence >= HIGH_EVIDENCE


def mentions_mesh(text: str) -> bool:
    """Whether the paste names a mesh component, resource or an Envoy-based proxy."""
    return _MESH_WORDS.search(text) is not None


def clear_winner(evidence: float, score: float, runner_up: float, agreed: bool = False) -> bool:
    """Whether declared evidence and the lead over the next runbook together make the best result certain.

    `agreed`: the evidence includes a signature on a mesh signal (or the paste shows one) and the text search
    ranks the runbook first.
    """
    if evidence >= STRONG_WINNER_EVIDENCE and score >= STRONG_WINNER_LEAD * runner_up:
        return True
    if agreed and evidence >= AGREED_WINNER_EVIDENCE and score >= AGREED_WINNER_LEAD * runner_up:
        return True
    return evidence >= WINNER_EVIDENCE and score >= WINNER_LEAD * runner_up
