"""The site's own words in English and Chinese (runbook content comes from the runbooks)."""

from __future__ import annotations

LANGUAGES = ("en", "zh")
HTML_LANG = {"en": "en", "zh": "zh-CN"}
# Where each language's pages live under the site root.
PREFIX = {"en": "", "zh": "zh/"}

_WORDS: dict[str, dict[str, str]] = {
    "site_title": {"en": "Mesh runbooks", "zh": "服务网格运行手册"},
    "tagline": {
        "en": "Paste an Istio or Envoy error, get the runbook that explains and fixes it.",
        "zh": "粘贴 Istio 或 Envoy 报错，找到解释并修复它的运行手册。",
    },
    "paste_label": {
        "en": "Paste a log, curl -v output or kubectl event",
        "zh": "粘贴日志、curl -v 输出或 kubectl 事件",
    },
    "paste_button": {"en": "Find the runbook", "zh": "查找运行手册"},
    "search_label": {"en": "Search runbooks", "zh": "搜索运行手册"},
    "search_placeholder": {"en": "Search (press /)", "zh": "搜索（按 /）"},
    "all_runbooks": {"en": "All runbooks", "zh": "全部运行手册"},
    "components": {"en": "Components", "zh": "组件"},
    "tags": {"en": "Tags", "zh": "标签"},
    "severity": {"en": "Severity", "zh": "严重程度"},
    "reference": {"en": "Reference", "zh": "参考"},
    "flags": {"en": "Envoy response flags", "zh": "Envoy 响应标志"},
    "details": {"en": "Response code details", "zh": "响应码详情"},
    "ports": {"en": "Istio ports", "zh": "Istio 端口"},
    "contents": {"en": "Contents", "zh": "目录"},
    "symptoms": {"en": "Symptoms", "zh": "症状"},
    "cause": {"en": "Cause", "zh": "原因"},
    "impact": {"en": "Impact", "zh": "影响"},
    "diagnosis": {"en": "Diagnosis", "zh": "诊断"},
    "fix": {"en": "Fix", "zh": "修复"},
    "verify": {"en": "Verify", "zh": "验证"},
    "prevention": {"en": "Prevention", "zh": "预防"},
    "references": {"en": "References", "zh": "参考资料"},
    "related": {"en": "Related runbooks", "zh": "相关运行手册"},
    "examples": {"en": "Examples", "zh": "示例"},
    "source": {"en": "Source", "zh": "来源"},
    "applies_to": {"en": "Applies to", "zh": "适用于"},
    "data_plane": {"en": "data plane", "zh": "数据平面"},
    "look_for": {"en": "Look for", "zh": "关注"},
    "edit": {"en": "Edit this runbook", "zh": "编辑此运行手册"},
    "runbooks_declaring": {"en": "Runbooks", "zh": "运行手册"},
    "meaning": {"en": "Meaning", "zh": "含义"},
    "not_found": {"en": "Page not found", "zh": "页面不存在"},
    "not_found_text": {
        "en": "No page here. Try the search or the list of runbooks.",
        "zh": "这里没有页面。试试搜索或运行手册列表。",
    },
    "language": {"en": "中文", "zh": "English"},
    "language_label": {"en": "Switch to Chinese", "zh": "切换到英文"},
    "theme": {"en": "Theme", "zh": "主题"},
    "skip": {"en": "Skip to content", "zh": "跳到正文"},
    "kind": {"en": "Kind", "zh": "类型"},
    "none": {"en": "none", "zh": "无"},
    "home": {"en": "Home", "zh": "首页"},
    "offline_note": {
        "en": "Matching runs in your browser (offline mode).",
        "zh": "在浏览器中匹配（离线模式）。",
    },
}


def words(lang: str) -> dict[str, str]:
    """Every UI string in `lang`."""
    return {key: value[lang] for key, value in _WORDS.items()}
