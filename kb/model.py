"""The runbook model: the one schema every face of kb (CLI, API, site, matcher) reads.

Strict on purpose: unknown fields are rejected, values are frozen, and every pattern must
compile under RE2, so a typo in a runbook fails `kb lint` instead of silently matching nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    field_validator,
    model_validator,
)

from kb.istio_api import api_version_problems, lower_bound
from kb.patterns import compile_pattern
from kb.vocabulary import PLACEHOLDERS, Component, DataPlane, RunbookKind, Severity, SignalKind
from kb.yamldoc import manifest_problems, manifest_resources

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)]
Tag = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.+-]*$", max_length=40)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$")]
Source = Annotated[
    str,
    StringConstraints(pattern=r"^(https?://[^\s]+|seed [0-9]+: .+)$"),
    Field(description="A URL, or `seed N: <title>` for the incident write-ups in SEEDS.md."),
]
VersionRange = Annotated[
    str,
    StringConstraints(
        pattern=r"^(>=|<=|>|<|==)[0-9]+\.[0-9]+(\.[0-9]+)?(, *(>=|<=|>|<|==)[0-9]+\.[0-9]+(\.[0-9]+)?)*$"
    ),
    Field(description="Istio versions, e.g. `>=1.10` or `>=1.6, <1.9.2`."),
]
Weight = Annotated[float, Strict(), Field(gt=0, le=10)]

_PLACEHOLDER = re.compile(r"\$([A-Z][A-Z0-9_]*)")
# CJK ideographs and full-width punctuation. YAML folding (`>-`) joins lines with a space, which is right
# between English words and wrong between two Chinese characters.
_FOLDED_CJK_SPACE = re.compile(
    r"(?<=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])[ \t\n]+(?=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])"
)


def _unfold_cjk(text: str) -> str:
    return _FOLDED_CJK_SPACE.sub("", text)


ZhText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_unfold_cjk)]


class FieldProblem(ValueError):
    """A model-level problem that belongs to one field; the loader points at that field (and line within it)."""

    def __init__(self, message: str, field: str | tuple[str | int, ...] | None = None, line_offset: int = 0) -> None:
        super().__init__(message)
        self.field = field
        self.line_offset = line_offset


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_placeholders(text: str) -> str:
    """Reject `$NAME` placeholders the matcher cannot fill."""
    unknown = sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})
    if unknown:
        names = ", ".join(f"${name}" for name in unknown)
        raise ValueError(f"unknown placeholder {names}; known: {', '.join(sorted(PLACEHOLDERS))}")
    return text


def _no_duplicates(values: tuple[str, ...], what: str) -> tuple[str, ...]:
    repeated = sorted(value for value, count in Counter(values).items() if count > 1)
    if repeated:
        raise ValueError(f"duplicate {what}: {', '.join(repeated)}")
    return values


Command = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    AfterValidator(_check_placeholders),
    Field(description="A shell command; `$POD`-style placeholders are filled from the paste (see `kb signals`)."),
]


class Condition(StrictModel):
    """One test on a paste: an RE2 `pattern` on the raw text, or a structured `signal` test."""

    pattern: str | None = Field(
        default=None, description="RE2 pattern searched in the raw paste; `(?i)` for case-insensitive."
    )
    signal: SignalKind | None = Field(default=None, description="A structured signal kind (see `kb signals`).")
    equals: str | None = Field(default=None, description="With `signal`: the signal value must equal this.")
    matches: str | None = Field(default=None, description="With `signal`: an RE2 pattern the signal value must match.")

    @field_validator("pattern", "matches")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            if not value:
                raise ValueError("empty pattern")
            compile_pattern(value)
        return value

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        if (self.pattern is None) == (self.signal is None):
            raise ValueError("a condition needs exactly one of `pattern` or `signal`")
        if self.pattern is not None and (self.equals is not None or self.matches is not None):
            raise ValueError("`equals` and `matches` go with `signal`, not `pattern`")
        if self.equals is not None and self.matches is not None:
            raise ValueError("use `equals` or `matches`, not both")
        return self


class Signature(StrictModel):
    """Evidence for this runbook: all `when` conditions must hold; `weight` is what it adds to the score."""

    name: Slug
    weight: Weight
    note: Text | None = Field(default=None, description="Why this evidence points here; shown to the reader.")
    when: tuple[Condition, ...] = Field(min_length=1)


class Exclusion(StrictModel):
    """Evidence against this runbook: when all `when` conditions hold, the runbook is ruled out."""

    name: Slug
    note: Text | None = None
    when: tuple[Condition, ...] = Field(min_length=1)


class Step(StrictModel):
    """One diagnosis or verification step: a sentence, commands, and what to look for in their output."""

    text: Text
    commands: tuple[Command, ...] = ()
    expect: Text | None = Field(default=None, description="What the output shows when this is the problem.")


class FixStep(Step):
    """One fix step; `manifest` holds Kubernetes/Istio YAML to apply (every document has apiVersion and kind)."""

    manifest: Text | None = None

    @field_validator("manifest")
    @classmethod
    def _valid_manifest(cls, manifest: str | None) -> str | None:
        if manifest is not None:
            problems = manifest_problems(manifest)
            if problems:
                line, message = problems[0]
                raise FieldProblem(message, line_offset=line)
            _check_placeholders(manifest)
        return manifest


class AppliesTo(StrictModel):
    istio: VersionRange
    data_plane: tuple[DataPlane, ...] = Field(default=(DataPlane.SIDECAR,), min_length=1)


class Reference(StrictModel):
    title: Text
    url: Url


class Example(StrictModel):
    """A real paste this runbook must answer, with where it was published."""

    text: Text
    source: Source


class Runbook(StrictModel):
    """One failure mode (`incident`) or how-to (`procedure`)."""

    id: Slug
    kind: RunbookKind
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    title_zh: ZhText | None = None
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    summary_zh: ZhText | None = None
    severity: Severity
    components: tuple[Component, ...] = Field(min_length=1)
    tags: tuple[Tag, ...] = ()
    applies_to: AppliesTo
    symptoms: tuple[Text, ...] = Field(min_length=1)
    symptoms_zh: tuple[ZhText, ...] = ()
    signatures: tuple[Signature, ...] = ()
    excludes: tuple[Exclusion, ...] = ()
    cause: Text | None = Field(default=None, description="Markdown; required for incidents.")
    impact: Text | None = Field(default=None, description="Required for incidents.")
    diagnosis: tuple[Step, ...] = Field(min_length=1)
    fix: tuple[FixStep, ...] = Field(min_length=1)
    verify: tuple[Step, ...] = ()
    prevention: tuple[Text, ...] = ()
    references: tuple[Reference, ...] = ()
    related: tuple[Slug, ...] = ()
    examples: tuple[Example, ...] = ()

    @field_validator("components", "tags", "related")
    @classmethod
    def _unique(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return _no_duplicates(values, "entries")

    @model_validator(mode="after")
    def _consistent(self) -> Runbook:
        names = tuple(item.name for item in self.signatures + self.excludes)
        _no_duplicates(names, "signature/exclusion names")
        if self.id in self.related:
            raise ValueError("a runbook cannot list itself in `related`")
        oldest = lower_bound(self.applies_to.istio)
        for index, step in enumerate(self.fix):
            problems = api_version_problems(manifest_resources(step.manifest), oldest) if step.manifest else []
            if problems:
                raise FieldProblem(problems[0], field=("fix", index, "manifest"))
        if self.kind is RunbookKind.INCIDENT:
            for name in ("cause", "impact"):
                if getattr(self, name) is None:
                    raise FieldProblem("required for an incident", field=name)
        return self
