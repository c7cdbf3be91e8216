"""rich behind one module: display widths, colour and tables for terminal pages.

Prose is wrapped by `kb.render` (rich's wrapper treats a run of Chinese without spaces as one word, so a
whole sentence would jump to the next line); everything that measures or paints text comes from here.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from rich.cells import cell_len

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

# Pages of prose stay readable on a wide terminal; tables use the whole width.
MAX_PROSE_WIDTH = 110
MIN_WIDTH = 40
# Columns between table cells, and the least a cut column keeps.
GAP = 2
MIN_STRETCH = 12


def cell_width(text: str) -> int:
    """Columns `text` takes in a terminal: two for CJK and full-width characters."""
    return cell_len(text)


@dataclass(frozen=True)
class Screen:
    """Where a page will be shown: its width in columns and whether it may be coloured."""

    width: int = 100
    colour: bool = False

    @classmethod
    def of(cls, stream: IO[str] | None, environ: Mapping[str, str], columns: int) -> Screen:
        """Colour only on a terminal, never with NO_COLOR (any non-empty value) or TERM=dumb."""
        tty = stream is not None and stream.isatty()
        colour = tty and not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"
        return cls(width=max(columns, MIN_WIDTH), colour=colour)

    @property
    def prose(self) -> int:
        """The width prose is wrapped to, keeping a margin of two columns."""
        return max(min(self.width, MAX_PROSE_WIDTH) - 2, MIN_WIDTH - 2)

    def paint(self, text: str, style: str) -> str:
        """`text` in `style` (e.g. "bold", "green") on a colour screen, as it is otherwise."""
        if not self.colour or not text:
            return text
        from rich.color import ColorSystem
        from rich.style import Style

        return Style.parse(style).render(text, color_system=ColorSystem.STANDARD)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]], stretch: int = -1) -> str:
        """Columns two spaces apart; only the `stretch` column (default the last) is cut, with an ellipsis."""
        # rich's console and table cost ~40 ms to import: only pages with a table pay for them.
        from rich.table import Table
        from rich.text import Text

        stretch %= len(headers)
        widths = [max(cell_len(str(cell)) for cell in (header, *(row[n] for row in rows)))
                  for n, header in enumerate(headers)]  # fmt: skip
        fixed = sum(width for n, width in enumerate(widths) if n != stretch) + GAP * (len(headers) - 1)
        widths[stretch] = max(min(widths[stretch], self.width - fixed), MIN_STRETCH)
        table = Table(box=None, header_style="bold" if self.colour else "", pad_edge=False, show_edge=False,
                      padding=(0, GAP, 0, 0), collapse_padding=True)  # fmt: skip
        for width, header in zip(widths, headers, strict=True):
            table.add_column(header, width=width, no_wrap=True, overflow="ellipsis")
        for row in rows:
            table.add_row(*(Text(str(cell)) for cell in row))
        return self.render(table)

    def render(self, renderable: Table) -> str:
        buffer = io.StringIO()
        _console(self, buffer).print(renderable)
        text = buffer.getvalue()
        if not self.colour:
            text = "\n".join(line.rstrip() for line in text.split("\n"))
        return text


def _console(screen: Screen, buffer: io.StringIO) -> Console:
    from rich.console import Console

    return Console(
        file=buffer,
        width=screen.width,
        color_system="standard" if screen.colour else None,
        force_terminal=screen.colour,
        no_color=not screen.colour,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
    )
