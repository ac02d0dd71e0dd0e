"""What a verb shows: tables and lines for a person at a terminal, one JSON document for a script
(`--json`), and a spinner on anything that takes time (on stderr, so a script's stdout stays clean)."""

from __future__ import annotations

import contextlib
import json
import sys
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

# Wide enough that ids, addresses and URLs stay on one line when the output goes to a file or a pipe.
PIPE_WIDTH = 160


class Output:
    def __init__(self, *, as_json: bool) -> None:
        self.as_json = as_json
        self.console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else PIPE_WIDTH)
        self.errors = Console(file=sys.stderr, width=None if sys.stderr.isatty() else PIPE_WIDTH)

    def document(self, value: Any) -> None:
        """The one JSON document of `--json`."""
        print(json.dumps(value, ensure_ascii=False, indent=2, default=str))

    def line(self, text: str = "") -> None:
        """A line as it is (no markup, no wrapping: ids and URLs are copied from it)."""
        if not self.as_json:
            print(text)

    def heading(self, text: str) -> None:
        if not self.as_json:
            self.console.print(text, style="bold", markup=False, highlight=False)

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[object]], title: str = "") -> None:
        if self.as_json:
            return
        table = Table(title=title or None, title_justify="left", show_lines=False)
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*("" if cell is None else str(cell) for cell in row))
        self.console.print(table, markup=False, highlight=False)

    def problem(self, text: str) -> None:
        print(f"postdesk: {text}", file=sys.stderr)

    @contextlib.contextmanager
    def progress(self, message: str) -> Iterator[None]:
        """A spinner while a slow step runs; where stderr is no terminal, the message once."""
        if self.errors.is_terminal:
            with self.errors.status(message):
                yield
        else:
            print(f"{message} …", file=sys.stderr, flush=True)
            yield
