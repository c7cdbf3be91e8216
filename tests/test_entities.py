from __future__ import annotations

import pytest

from kb.entities import fill, find_entities, first_values
from kb.signals import Paste


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "outbound|80|v1|reviews.bookinfo.svc.cluster.local",
            {"CLUSTER": "outbound|80|v1|reviews.bookinfo.svc.cluster.local", "PORT": "80", "SUBSET": "v1",
             "HOST": "reviews.bookinfo.svc.cluster.local", "SERVICE": "reviews", "SERVICE_NAMESPACE": "bookinfo"},
        ),
        (
            "warn cache node:sidecar~10.233.108.208~ratings-v1-556d64845-f4dkk.shop~shop.svc.cluster.local-1 failed",
            {"IP": "10.233.108.208", "POD": "ratings-v1-556d64845-f4dkk", "DEPLOYMENT": "ratings-v1",
             "NAMESPACE": "shop"},
        ),
        (
            "kubectl logs pod/web-7d9c8b6f5-x2k4p -n payments",
            {"POD": "web-7d9c8b6f5-x2k4p", "DEPLOYMENT": ["web", "7d9c8b6f5"][0], "NAMESPACE": "payments"},
        ),
        (
            'Post "https://istiod-canary.istio-system.svc:443/inject?timeout=10s": context deadline exceeded',
            {"REVISION": "canary", "ISTIO_NAMESPACE": "istio-system", "HOST": "istiod-canary.istio-system.svc",
             "SERVICE": "istiod-canary", "SERVICE_NAMESPACE": "istio-system", "PORT": "443"},
        ),
        (
            "istio-ingressgateway-5d9f8c7b6-abcde   1/1   Running   0   3d",
            {"GATEWAY_POD": "istio-ingressgateway-5d9f8c7b6-abcde"},
        ),
        ("> Host: bookinfo.example.com", {"HOST": "bookinfo.example.com"}),
        ("connect to 127.0.0.1:15000 and 0.0.0.0", {}),
        ("nothing to see here", {}),
    ],
)  # fmt: skip
def test_entities_by_placeholder(text: str, expected: dict[str, str]) -> None:
    assert first_values(find_entities(Paste.of(text))) == expected


def test_entities_keep_their_line() -> None:
    found = find_entities(Paste.of("first\nkubectl get pods -n shop"))
    assert [(e.name, e.value, e.line) for e in found] == [("NAMESPACE", "shop", 2)]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("kubectl logs $POD -n $NAMESPACE", "kubectl logs web-1 -n shop"),
        ("kubectl get svc -n $SERVICE_NAMESPACE", "kubectl get svc -n $SERVICE_NAMESPACE"),
        ("istioctl pc ep $POD.$NAMESPACE --cluster $CLUSTER", "istioctl pc ep web-1.shop --cluster $CLUSTER"),
        ("echo $HOME $POD_IP", "echo $HOME $POD_IP"),
    ],
)  # fmt: skip
def test_fill_replaces_known_placeholders_with_values_only(command: str, expected: str) -> None:
    assert fill(command, {"POD": "web-1", "NAMESPACE": "shop", "SERVICE": "reviews"}) == expected


@pytest.mark.parametrize(
    ("command", "value", "expected"),
    [
        ("curl -sv http://$HOST/", "evil.com;curl${IFS}x|sh;#", "curl -sv http://$HOST/"),
        ("curl -sv http://$HOST/", "a b", "curl -sv http://$HOST/"),
        ("istioctl pc ep $POD --cluster $HOST", "outbound|80||r.ns.svc.cluster.local",
         "istioctl pc ep $POD --cluster 'outbound|80||r.ns.svc.cluster.local'"),
        ('istioctl pc ep $POD --cluster "$HOST"', "outbound|80||r.ns.svc.cluster.local",
         'istioctl pc ep $POD --cluster "outbound|80||r.ns.svc.cluster.local"'),
    ],
)  # fmt: skip
def test_fill_never_puts_shell_syntax_from_a_paste_into_a_command(command: str, value: str, expected: str) -> None:
    assert fill(command, {"HOST": value}) == expected
