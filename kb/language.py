"""Which language the asker wrote in: the one rule the CLI, the API and the chat adapters share."""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["en", "zh"]

# Han ideographs: the unified block, extension A, the compatibility block and the supplementary planes' extensions.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_WORD = re.compile(f"[{_HAN}]{{2}}")
_HAN_CHAR = re.compile(f"[{_HAN}]")
_LATIN_LETTER = re.compile("[A-Za-z]")


def language_of(text: str) -> Language:
    """`zh` when the asker wrote Chinese, else `en`.

    Chinese means two Han characters in a row (a word: "熔断了", or a question in front of a pasted English log),
    or Han characters in a text with no Latin letters at all ("慢"). One Han character alone among English words
    is a stray symbol in a log or a name, not the asker's language.
    """
    if _HAN_WORD.search(text):
        return "zh"
    return "zh" if _HAN_CHAR.search(text) and not _LATIN_LETTER.search(text) else "en"
