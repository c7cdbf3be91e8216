"""The closed vocabularies runbooks are written in: signal kinds, components, placeholders.

This is the one place that lists them. The model validates against these tables, the JSON
Schema enumerates them, and the matcher's extractors emit exactly these signal kinds.
"""

from __future__ import annotations

from enum import StrEnum


class SignalKind(StrEnum):
    """A structured fact an extractor can pull out of a paste (see SIGNAL_KINDS for meanings)."""

    RESPONSE_FLAG = "response_flag"
    RESPONSE_CODE_DETAILS = "response_code_details"
    CONNECTION_TERMINATION_DETAILS = "connection_termination_details"
    TRANSPORT_FAILURE_REASON = "transport_failure_reason"
    RESET_REASON = "reset_reason"
    LOCAL_REPLY = "local_reply"
    HTTP_STATUS = "http_status"
    CURL_EXIT = "curl_exit"
    GRPC_STATUS = "grpc_status"
    UPSTREAM_CLUSTER = "upstream_cluster"
    LOG_SCOPE = "log_scope"
    DIAL_ERROR = "dial_error"
    MESH_PORT = "mesh_port"
    POD_STATE = "pod_state"
    READY_CONTAINERS = "ready_containers"
    K8S_EVENT_REASON = "k8s_event_reason"
    WEBHOOK = "webhook"
    ANALYZER_CODE = "analyzer_code"
    XDS_TYPE = "xds_type"
    TLS_ERROR = "tls_error"
    ENVOY_HEADER = "envoy_header"
    REPLIED_BY = "replied_by"
    LINK = "link"
    # Field-corpus additions (issue 13): findings in pasted manifests, and which data plane a paste shows.
    MANIFEST = "manifest"
    DATA_PLANE = "data_plane"
    ISTIO_STATUS = "istio_status"


# kind -> (what the value is, example values). Values are normalised by the extractors exactly
# as described here, so a runbook's `equals` can be compared with `==`.
SIGNAL_KINDS: dict[SignalKind, tuple[str, tuple[str, ...]]] = {
    SignalKind.RESPONSE_FLAG: (
        "One Envoy %RESPONSE_FLAGS% short code; `UF,URX` yields two signals.",
        ("UH", "UF", "URX", "NR", "UO", "UT", "UC", "DC"),
    ),
    SignalKind.RESPONSE_CODE_DETAILS: (
        "Envoy %RESPONSE_CODE_DETAILS% as printed (spaces already `_`).",
        ("no_healthy_upstream", "route_not_found", "upstream_reset_before_response_started{connection_failure}"),
    ),
    SignalKind.CONNECTION_TERMINATION_DETAILS: (
        "Envoy %CONNECTION_TERMINATION_DETAILS%.",
        ("on_idle_timeout", "rbac_access_denied_matched_policy[none]"),
    ),
    SignalKind.TRANSPORT_FAILURE_REASON: (
        "Envoy %UPSTREAM_TRANSPORT_FAILURE_REASON% or the `transport failure reason:` of a local reply.",
        ("TLS_error:_268435581:SSL_routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED",),
    ),
    SignalKind.RESET_REASON: (
        "The `reset reason:` of Envoy's local reply body, lower case, words separated by spaces.",
        ("connection failure", "connection termination", "local reset", "overflow", "remote reset"),
    ),
    SignalKind.LOCAL_REPLY: (
        "Which Envoy local-reply body the paste contains.",
        ("no healthy upstream", "upstream connect error", "upstream request timeout", "RBAC: access denied"),
    ),
    SignalKind.HTTP_STATUS: (
        "An HTTP status code from a status line, an access log or a client error, as digits.",
        ("503", "404", "426"),
    ),
    SignalKind.CURL_EXIT: ("A curl exit code from `curl: (N) ...`, as digits.", ("35", "56", "60")),
    SignalKind.GRPC_STATUS: (
        "A gRPC status as its canonical upper-case name (numbers and `code = Unavailable` map to it).",
        ("UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED"),
    ),
    SignalKind.UPSTREAM_CLUSTER: (
        "An Envoy cluster name such as Istio's `direction|port|subset|host`.",
        ("outbound|80|v1|reviews.default.svc.cluster.local", "BlackHoleCluster", "PassthroughCluster"),
    ),
    SignalKind.LOG_SCOPE: (
        "The scope column of an istiod / istio-agent / Envoy log line.",
        ("envoy config", "citadelclient", "cache", "validationController", "model"),
    ),
    SignalKind.DIAL_ERROR: (
        "The class of a failed network dial, normalised.",
        ("connection_refused", "timeout", "no_such_host", "connection_reset"),
    ),
    SignalKind.MESH_PORT: (
        "An Istio well-known port mentioned in the paste (15000-15090, 15443).",
        ("15012", "15017", "15021", "15006"),
    ),
    SignalKind.POD_STATE: (
        "A Kubernetes container/pod state or termination reason.",
        ("CrashLoopBackOff", "Init:CrashLoopBackOff", "OOMKilled", "Pending"),
    ),
    SignalKind.READY_CONTAINERS: (
        "The READY column of `kubectl get pods`: ready containers / containers, e.g. a stuck sidecar shows 1/2.",
        ("1/2", "2/2", "0/2"),
    ),
    SignalKind.K8S_EVENT_REASON: (
        "The Reason column of a Kubernetes event.",
        ("FailedCreate", "Unhealthy", "BackOff"),
    ),
    SignalKind.WEBHOOK: (
        "The name of an admission webhook in an error.",
        ("namespace.sidecar-injector.istio.io", "validation.istio.io"),
    ),
    SignalKind.ANALYZER_CODE: ("An `istioctl analyze` message code.", ("IST0101", "IST0173")),
    SignalKind.XDS_TYPE: (
        "The short xDS resource type a proxy NACKed or a stream carried.",
        ("Listener", "Cluster", "RouteConfiguration", "ClusterLoadAssignment", "Secret"),
    ),
    SignalKind.TLS_ERROR: (
        "A TLS/X.509 failure reason from OpenSSL/BoringSSL, Go or curl, upper case; CERTIFICATE_FOR_ANOTHER_HOST "
        "when curl -v or openssl s_client shows a server certificate issued to another site than the host asked for.",
        ("CERTIFICATE_VERIFY_FAILED", "WRONG_VERSION_NUMBER", "CERTIFICATE_FOR_ANOTHER_HOST"),
    ),
    SignalKind.ENVOY_HEADER: (
        "An `x-envoy-*` response header that tells why Envoy answered as it did, lower case (the routine ones, "
        "such as `x-envoy-upstream-service-time`, are summed up by `replied_by`).",
        ("x-envoy-ratelimited", "x-envoy-overloaded", "x-envoy-degraded"),
    ),
    SignalKind.REPLIED_BY: (
        "Who wrote an HTTP response that passed through Envoy: `envoy` for a local reply (server header says "
        "envoy, no `x-envoy-upstream-service-time`), `upstream` when that header shows an upstream answered.",
        ("envoy", "upstream"),
    ),
    SignalKind.LINK: (
        "An istio.io / envoyproxy.io page or an istio / envoyproxy GitHub thread the text links to, without "
        "scheme, version, language or anchor.",
        ("istio.io/docs/ops/common-problems/network-issues", "github.com/istio/istio/issues/11130"),
    ),
    SignalKind.MANIFEST: (
        "A finding in pasted Kubernetes/Istio YAML: resources that cannot work together, or a setting (STRICT mTLS, "
        "a gateway certificate from a Secret) that decides what an error means.",
        (
            "vs-subset-undefined",
            "gateway-vs-host-mismatch",
            "port-name-no-protocol",
            "peer-authentication-strict",
            "gateway-tls-credential",
        ),
    ),
    SignalKind.DATA_PLANE: (
        "The data plane the paste shows: `ambient` for ztunnel or waypoint output (HBONE, `proxy::h2`, "
        "`dst.hbone_addr`), `sidecar` for istio-proxy, istio-init or pilot-agent output.",
        ("ambient", "sidecar"),
    ),
    SignalKind.ISTIO_STATUS: (
        "An istio-agent readiness/probe message or an istiod complaint about a remote cluster, as a short name.",
        (
            "agent-no-config",
            "agent-config-rejected",
            "agent-envoy-oom",
            "agent-probe-app-failed",
            "istiod-remote-cluster",
        ),
    ),
}


class Component(StrEnum):
    """Where in the mesh a failure lives."""

    ISTIOD = "istiod"
    SIDECAR = "sidecar"
    ISTIO_INIT = "istio-init"
    ISTIO_CNI = "istio-cni"
    GATEWAY = "gateway"
    EAST_WEST_GATEWAY = "east-west-gateway"
    DNS = "dns"
    WEBHOOK = "webhook"
    ZTUNNEL = "ztunnel"
    WAYPOINT = "waypoint"
    KUBE_APISERVER = "kube-apiserver"
    KUBELET = "kubelet"
    NETWORK = "network"
    APPLICATION = "application"


class DataPlane(StrEnum):
    SIDECAR = "sidecar"
    AMBIENT = "ambient"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class RunbookKind(StrEnum):
    INCIDENT = "incident"
    PROCEDURE = "procedure"


# Placeholders a command may use as `$NAME`. The matcher fills them from entities found in the
# paste; anything it cannot fill is shown as written so the reader substitutes it.
PLACEHOLDERS: dict[str, str] = {
    "POD": "the affected pod",
    "NAMESPACE": "the affected pod's namespace",
    "DEPLOYMENT": "the affected workload's Deployment",
    "CONTAINER": "a container name in the pod",
    "SERVICE": "the destination Kubernetes Service",
    "SERVICE_NAMESPACE": "the destination Service's namespace",
    "HOST": "the destination host name (FQDN or external host)",
    "PORT": "the destination port",
    "IP": "an IP address from the paste",
    "CLUSTER": "the Envoy cluster name, e.g. outbound|80|v1|reviews.default.svc.cluster.local",
    "SUBSET": "the DestinationRule subset name",
    "GATEWAY_POD": "the ingress/egress gateway pod",
    "GATEWAY_NAMESPACE": "the gateway's namespace",
    "GATEWAY": "the Gateway resource name",
    "VIRTUAL_SERVICE": "the VirtualService name",
    "DESTINATION_RULE": "the DestinationRule name",
    "SECRET": "a Kubernetes Secret name (e.g. a gateway credentialName)",
    "ISTIO_NAMESPACE": "the control-plane namespace (istio-system by default)",
    "REVISION": "the istiod revision label",
    "NODE": "a Kubernetes node name",
    "CONTEXT": "a kubeconfig context (multi-cluster)",
    "CLUSTER_NAME": "the cluster's name in a multi-cluster mesh (as in `istioctl create-remote-secret --name`)",
    "NETWORK": "the Istio network name of a cluster (topology.istio.io/network)",
    "REMOTE_CONTEXT": "the kubeconfig context of the other cluster (multi-cluster)",
}


# Short forms people type in symptoms, expanded to the words runbooks use. Keys are lower case.
ABBREVIATIONS: dict[str, str] = {
    "lb": "load balancing balancer",
    "vs": "virtualservice",
    "dr": "destinationrule",
    "se": "serviceentry",
    "pa": "peerauthentication",
    "ap": "authorizationpolicy",
    "authz": "authorization",
    "authn": "authentication",
    "svc": "service",
    "ns": "namespace",
    "gw": "gateway",
    "ingressgateway": "ingress gateway",
    "egressgateway": "egress gateway",
    "ws": "websocket",
    "wss": "websocket",
    "cert": "certificate",
    "certs": "certificate",
    "tls": "tls",
    "k8s": "kubernetes",
    "oom": "oomkilled memory",
    "crashloop": "crashloopbackoff",
    "cb": "circuit breaker",
}
