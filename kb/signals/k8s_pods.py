"""Pod and container states from `kubectl get pods` rows and `kubectl describe pod` output."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, find_all, first_group, matches
from kb.vocabulary import SignalKind

name = "k8s_pods"
description = "Pod/container states (`Init:CrashLoopBackOff`, `OOMKilled`) and ready counts (`1/2`) from kubectl."

# `NAME  READY  STATUS  RESTARTS  AGE`: READY is `ready/total`, STATUS one word such as Init:0/1.
_ROW = re.compile(
    r"(?:^|\s)([0-9]{1,2})/([0-9]{1,2})\s{1,40}([A-Z][A-Za-z]{1,30}(?::[A-Za-z0-9/]{1,30})?)\s{1,40}[0-9]{1,6}\b"
)
# `Reason: OOMKilled` in describe output and states that are unambiguous wherever they appear.
_STATE = re.compile(
    r"\b((?:Init:)?(?:CrashLoopBackOff|ImagePullBackOff|ErrImagePull|CreateContainerConfigError"
    r"|CreateContainerError|RunContainerError|OOMKilled|PodInitializing|ContainerCreating))\b"
    r"|\bReason:\s{1,30}([A-Z][A-Za-z]{2,40})\s*$"
)


# The STATUS values `kubectl get pods` prints (kubectl's printers), for finding candidate rows fast.
_STATUS_WORDS = (
    "Running", "Pending", "Completed", "Succeeded", "Failed", "Unknown", "Terminating", "Error", "BackOff",
    "Init:", "NotReady", "OOMKilled", "ContainerCreating", "PodInitializing", "ErrImage", "CreateContainer",
    "RunContainerError", "Evicted", "ContainerStatusUnknown", "Signal:", "ExitCode:",
)  # fmt: skip


def extract(paste: Paste) -> list[Signal]:
    found: list[Signal] = []
    for line, row in matches(paste, _ROW, _STATUS_WORDS):
        if int(row[1]) <= int(row[2]):
            found.append(Signal(SignalKind.READY_CONTAINERS, f"{row[1]}/{row[2]}", line))
            found.append(Signal(SignalKind.POD_STATE, row[3], line))
    return found + find_all(
        paste,
        _STATE,
        SignalKind.POD_STATE,
        first_group,
        ("BackOff", "Err", "Error", "OOM", "Pod", "Container", "Reason:"),
    )
