"""Chinese words for mesh concepts and the English words the runbooks use for them.

A question typed in Chinese often names the concept in Chinese and nothing else (`熔断不生效`, `证书过期`);
the runbooks' Chinese fields are short, their English ones long. Each entry lets such a question also search
the English text with the words the runbooks use. It is a general glossary of the domain, not a list of
questions: an entry names a concept, never a symptom of one runbook.
"""

from __future__ import annotations

ZH_TO_EN: dict[str, str] = {
    "熔断": "circuit breaker overflow",
    "限流": "rate limit",
    "超时": "timeout",
    "证书": "certificate",
    "过期": "expired",
    "注入": "injection inject",
    "边车": "sidecar",
    "网关": "gateway",
    "出口": "egress",
    "健康检查": "probe health",
    "探针": "probe",
    "就绪": "ready readiness",
    "存活": "liveness",
    "负载均衡": "load balancing",
    "负载不均": "load imbalance",
    "长连接": "keepalive connection",
    "连接池": "connection pool",
    "重置": "reset",
    "拒绝": "refused denied",
    "域名解析": "dns resolution",
    "解析失败": "dns resolution",
    "内存": "memory",
    "内存溢出": "oom memory",
    "重启": "restart",
    "启动顺序": "startup order",
    "优雅退出": "graceful termination",
    "路由": "route routing",
    "重试": "retry",
    "双向认证": "mtls mutual",
    "明文": "plaintext",
    "握手": "handshake tls",
    "多集群": "multicluster",
    "跨集群": "multicluster",
    "外部服务": "external service",
    "鉴权": "authorization",
    "授权": "authorization",
    "认证": "authentication",
    "令牌": "token jwt",
    "上传": "upload payload",
    "请求头": "request header",
    "协议": "protocol",
    "端口": "port",
    "控制面": "istiod control plane",
    "升级": "upgrade revision",
    "灰度": "canary",
    "子集": "subset",
    "会话保持": "sticky consistent hash",
    "偶发": "intermittent",
    "卡住": "stuck hang",
    "不生效": "not applied no effect",
    "无法访问": "unreachable",
}
