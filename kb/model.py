"""The runbook model: the one schema every face of kb (CLI, API, site, matcher) reads.

Strict on purpose: unknown fields are rejected, values are frozen, and every pattern must
compile under RE2, so a typo in a runbook fails `kb lint` instead of silently matching nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from kb.checks import VERSION_RANGE, placeholder_problem, runbook_findings
from kb.patterns import compile_pattern
from kb.vocabulary import Component, DataPlane, RunbookKind, Severity, SignalKind

# CJK ideographs and full-width punctuation, shared with the loader's translation check.
CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
# YAML folding (`>-`) joins lines with a space: right between English words, wrong between Chinese characters.
_FOLDED_CJK_SPACE = re.compile(f"(?<=[{CJK}])[ \t\n]+(?=[{CJK}])")


def shorten(value: object, limit: int = 80) -> str:
    """`repr(value)`, cut to `limit` characters so a huge bad value cannot flood a message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fullmatch(pattern: str, message: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{message}, got {shorten(value)}")
        return value

    return check


def _unfold_cjk(text: str) -> str:
    return _FOLDED_CJK_SPACE.sub("", text)


def _known_placeholders(text: str) -> str:
    problem = placeholder_problem(text)
    if problem:
        raise ValueError(problem)
    return text


def _no_duplicates(values: tuple[str, ...]) -> tuple[str, ...]:
    repeated = sorted(value for value, count in Counter(values).items() if count > 1)
    if repeated:
        raise ValueError(f"duplicate entries: {', '.join(repeated)}")
    return values


SLUG = r"[a-z0-9]+(-[a-z0-9]+)*"
TAG = r"[a-z0-9][a-z0-9.+-]*"
URL = r"https?://[^\s]+"
SOURCE = r"(https?://[^\s]+|seed [0-9]+: .+)"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
ZhText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_unfold_cjk)]
Slug = Annotated[
    str,
    StringConstraints(max_length=64),
    AfterValidator(_fullmatch(SLUG, "must be lower-case kebab-case (a-z, 0-9, single '-')")),
    WithJsonSchema({"type": "string", "pattern": f"^{SLUG}$", "maxLength": 64}),
]
Tag = Annotated[
    str,
    StringConstraints(max_length=40),
    AfterValidator(_fullmatch(TAG, "must be lower case: letters, digits, '.', '+', '-'")),
    WithJsonSchema({"type": "string", "pattern": f"^{TAG}$", "maxLength": 40}),
]
Url = Annotated[
    str,
    AfterValidator(_fullmatch(URL, "must be an http(s) URL")),
    WithJsonSchema({"type": "string", "pattern": f"^{URL}$"}),
]
Source = Annotated[
    str,
    AfterValidator(_fullmatch(SOURCE, "must be an http(s) URL or `seed N: <title>`")),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^{SOURCE}$",
            "description": "A URL, or `seed N: <title>` for the incident write-ups in SEEDS.md.",
        }
    ),
]
VersionRange = Annotated[
    str,
    AfterValidator(
        _fullmatch(
            VERSION_RANGE, "must be a version range such as `>=1.10`, `>=1.6, <1.9.2` or `>=1.25.4, <1.26 || >=1.26.1`"
        )
    ),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": VERSION_RANGE,
            "description": "Istio versions, e.g. `>=1.10` or `>=1.6, <1.9.2`; `||` joins intervals, any of which may "
            "hold: `>=1.25.4, <1.26 || >=1.26.1`.",
        }
    ),
]
Weight = Annotated[float, Strict(), Field(gt=0, le=10)]
Command = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    AfterValidator(_known_placeholders),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "description": "A shell command; `$POD`-style placeholders are filled from the paste (see `kb signals`).",
        }
    ),
]


class ConsistencyError(ValueError):
    """A cross-field rule of `kb.checks` failed."""


# Validation context flag: the caller ran `kb.checks.runbook_findings` on the raw data itself (the loader does,
# to report every finding with its line) and keeps the runbook only when there were none.
CHECKED_ACROSS_FIELDS = "checked_across_fields"


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- Versions (issue 14): the Istio releases a step, signature or note holds for -------------------------
# Absent means "every release the runbook's `applies_to.istio` admits". kb.versions filters on these.


class VersionLimited(StrictModel):
    istio: VersionRange | None = Field(
        default=None,
        description="Istio versions this holds for, inside `applies_to.istio` (e.g. `>=1.24`); absent: all of them.",
    )


class VersionNote(VersionLimited):
    """A claim that is true only for some releases: a changed default, a renamed field, a new message."""

    istio: VersionRange
    text: Text
    text_zh: ZhText | None = None


# --- end of the versions block ----------------------------------------------------------------------------


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


class Signature(VersionLimited):
    """Evidence for this runbook: all `when` conditions must hold; `weight` is what it adds to the score."""

    name: Slug
    weight: Weight
    note: Text | None = Field(default=None, description="Why this evidence points here; shown to the reader.")
    when: tuple[Condition, ...] = Field(min_length=1)
    # Answers that fit the paste (issue 13): which of the runbook's causes this evidence points to.
    cause: Slug | None = Field(
        default=None, description="The cause this evidence points to; steps listing it in `causes` come first."
    )


class Exclusion(StrictModel):
    """Evidence against this runbook: when all `when` conditions hold, the runbook is ruled out."""

    name: Slug
    note: Text | None = None
    when: tuple[Condition, ...] = Field(min_length=1)


class Step(VersionLimited):
    """One diagnosis or verification step: a sentence, commands, and what to look for in their output."""

    text: Text
    commands: tuple[Command, ...] = ()
    expect: Text | None = Field(default=None, description="What the output shows when this is the problem.")
    # Answers that fit the paste (issue 13): the causes and data planes this step serves (empty: all of them).
    causes: tuple[Slug, ...] = Field(default=(), description="Signature `cause` names this step is for.")
    data_planes: tuple[DataPlane, ...] = Field(default=(), description="Data planes this step is for.")


class FixStep(Step):
    """One fix step; `manifest` holds Kubernetes/Istio YAML to apply (every document has apiVersion and kind)."""

    manifest: Text | None = Field(
        default=None, description="Kubernetes/Istio YAML; every document needs apiVersion and kind."
    )


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
    version_notes: tuple[VersionNote, ...] = ()  # versions block (issue 14)

    @field_validator("components", "tags", "related")
    @classmethod
    def _unique(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return _no_duplicates(values)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Runbook:
        if info.context and info.context.get(CHECKED_ACROSS_FIELDS):
            return self
        findings = runbook_findings(self.model_dump(mode="json"))
        if findings:
            raise ConsistencyError(f"{'.'.join(map(str, findings[0].path))}: {findings[0].message}")
        return self


def field_names() -> set[str]:
    """Every field name used anywhere in a runbook, for documentation checks and "did you mean" hints."""
    names: set[str] = set()
    stack: list[type[BaseModel]] = [Runbook]
    while stack:
        model = stack.pop()
        for name, info in model.model_fields.items():
            names.add(name)
            stack.extend(arg for arg in _model_args(info.annotation) if arg not in stack)
    return names


def _model_args(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in getattr(annotation, "__args__", ()):
        yield from _model_args(arg)
