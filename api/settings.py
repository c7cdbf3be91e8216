"""The API's configuration: every `KB_*` variable the server reads, in one pydantic-settings object."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

import kb

# A paste beyond this is refused with 413 before it is read whole; a long proxy log excerpt is far less.
DEFAULT_MAX_BODY = 1024 * 1024
FEISHU_API = "https://open.feishu.cn"
WECOM_API = "https://qyapi.weixin.qq.com"
# The hosts DingTalk hands out session webhooks on (https://oapi.dingtalk.com/robot/sendBySession?session=...).
DINGTALK_HOSTS = "oapi.dingtalk.com,api.dingtalk.com"


class ApiSettings(BaseSettings):
    """Zero config serves the bundled runbooks; each chat adapter stays disabled until its secret is set."""

    # An empty variable counts as unset: a Secret's blank key leaves its adapter off instead of failing to parse.
    model_config = SettingsConfigDict(env_prefix="KB_", extra="ignore", frozen=True, env_ignore_empty=True)

    runbooks: Path | None = Field(default=None, description="runbook directory (default: the bundled runbooks)")
    cache_dir: str | None = Field(default=None, description="index cache directory; `off` keeps it in memory")
    max_body: int = Field(default=DEFAULT_MAX_BODY, ge=1, description="largest request body in bytes")
    watch: bool = Field(default=False, description="rebuild and swap the library when runbook files change")
    site_dir: Path | None = Field(default=None, description="built documentation site served at /")
    build_file: Path | None = Field(default=None, description="set by `kb serve --watch`: the builds its "
                                    "supervisor publishes, which each worker follows instead of building")  # fmt: skip
    site_url: str | None = Field(default=None, description="public URL of the docs site, for runbook links")
    slack_signing_secret: str | None = None
    feishu_verification_token: str | None = None
    feishu_encrypt_key: str | None = None
    # The app credentials let kb send its card with Feishu's message API (Feishu ignores a callback's body).
    feishu_app_id: str | None = None
    feishu_app_secret: str | None = None
    feishu_api_base: str = Field(
        default=FEISHU_API, description="Feishu or Lark open platform (https://open.larksuite.com)"
    )
    dingtalk_app_secret: str | None = None
    dingtalk_webhook_hosts: str = Field(
        default=DINGTALK_HOSTS,
        description="comma-separated hosts a sessionWebhook may point at (`host`, `host:port`, `.suffix`, `http://h:p`)",
    )
    wecom_token: str | None = None
    wecom_encoding_aes_key: str | None = None
    wecom_corp_id: str | None = None
    # The app's secret and agent id let kb answer in markdown through WeCom's message API.
    wecom_corp_secret: str | None = None
    wecom_agent_id: int | None = None
    wecom_api_base: str = Field(default=WECOM_API, description="WeCom's API host")
    teams_security_token: str | None = None
    webhook_secret: str | None = None

    def library_settings(self) -> kb.Settings:
        """Where the library comes from: these settings over kb's own defaults."""
        base = kb.Settings.from_env(os.environ)
        if self.runbooks is not None:
            base = replace(base, runbooks_dir=self.runbooks)
        if self.cache_dir:
            base = replace(base, cache_dir=None if self.cache_dir == "off" else Path(self.cache_dir))
        return base
