"""Admission webhook names in kube-apiserver errors (calls that failed, requests that were denied)."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, find_all, first_group
from kb.vocabulary import SignalKind

name = "webhooks"
description = 'Admission webhook names: `failed calling webhook "X"`, `admission webhook "X" denied the request`.'

# The name may be quoted with escaped quotes when the error sits inside JSON or a YAML string.
_WEBHOOK = re.compile(r'(?:failed calling webhook|admission webhook) \\?"([a-z0-9][a-z0-9.-]{0,250})\\?"')


def extract(paste: Paste) -> list[Signal]:
    return find_all(paste, _WEBHOOK, SignalKind.WEBHOOK, first_group, ("webhook",))
