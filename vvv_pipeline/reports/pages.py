"""Writing report pages: small HTML beside one shared plotly.min.js, readable by everyone.

Embedding plotly.js made every page about 5 MB, almost all of it the library. Pages are
written with plotly's ``include_plotlyjs="directory"`` instead: each references
``plotly.min.js`` in its own folder, written here once (and again only when the installed plotly
ships a different bundle; plotly's own ``write_html`` never replaces a stale copy). A page
still opens offline, as long as its folder travels with the bundle.

Every figure of a page carries its template, and plotly's default one (7 KB of defaults for
polar, 3-D, geographic and a dozen trace types the reports never draw) was a third of a chart's
bytes: :func:`figure_html` gives figures the same look with only what they use.

Every file is written to a temporary sibling and renamed into place, so a failure leaves the
previous file and no partial one, and is given mode 0644 explicitly: ``mkstemp`` creates files
0600 and ``open`` follows the process umask, so the same page was private or readable depending
on who wrote it.
"""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TextIO

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

PAGE_MODE = 0o644
PLOTLY_JS = "plotly.min.js"
UNDRAWN_LAYOUT = ("polar", "ternary", "scene", "geo", "coloraxis", "colorscale")
"""Layout defaults of subplot kinds the reports never draw."""


@lru_cache(maxsize=16)
def slim_template(drawn: frozenset[str], name: str = "plotly") -> go.layout.Template:
    """Template ``name`` with only the trace defaults of ``drawn`` types, and no layout
    defaults for subplot kinds the reports never draw: the same look, a sixth of the bytes."""
    base = pio.templates[name]
    layout = {k: v for k, v in base.layout.to_plotly_json().items() if k not in UNDRAWN_LAYOUT}
    data = {k: v for k, v in base.data.to_plotly_json().items() if k in drawn}
    return go.layout.Template(layout=layout, data=data)


@lru_cache(maxsize=16)
def _slim_template_json(drawn: frozenset[str]) -> dict:
    return slim_template(drawn).to_plotly_json()


def figure_html(figure: go.Figure, with_plotlyjs: bool, **options: Any) -> str:
    """A figure as an HTML fragment with its slim template; ``with_plotlyjs`` adds the
    ``<script src="plotly.min.js">`` reference (once per page, before the first figure).

    The figure was validated when it was made: its JSON goes to the page with the template
    swapped, not validated again (setting the template on the figure took as long as drawing
    the rest of it).
    """
    payload = figure.to_dict()
    payload["layout"]["template"] = _slim_template_json(
        frozenset(trace["type"] for trace in payload["data"])
    )
    plotlyjs = "directory" if with_plotlyjs else False
    return pio.to_html(
        payload, validate=False, full_html=False, include_plotlyjs=plotlyjs, **options
    )


def write_atomic(path: str | Path, write: Callable[[TextIO], None], mode: int = PAGE_MODE) -> Path:
    """Write ``path`` through ``write(stream)`` into a temporary sibling, chmod, rename."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            write(out)
        os.chmod(temp_name, mode)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return target


def ensure_plotlyjs(folder: str | Path) -> Path:
    """``folder/plotly.min.js``, the installed plotly's bundle (written when missing or stale)."""
    target = Path(folder) / PLOTLY_JS
    bundle = get_plotlyjs()
    encoded = bundle.encode("utf-8")
    same_size = target.is_file() and target.stat().st_size == len(encoded)
    if same_size and target.read_bytes() == encoded:
        return target
    return write_atomic(target, lambda out: out.write(bundle))


def write_page(
    path: str | Path, title: str, write_body: Callable[[TextIO], None], style: str = ""
) -> Path:
    """An HTML page titled ``title`` (a browser tab or bookmark says what it is) whose body
    ``write_body`` streams, written atomically beside the folder's ``plotly.min.js``."""
    target = Path(path)
    ensure_plotlyjs(target.parent)
    head = f"<title>{html.escape(title)}</title>\n" + (f"<style>{style}</style>\n" if style else "")

    def write(out: TextIO) -> None:
        out.write(
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"{head}</head>\n<body>\n"
        )
        write_body(out)
        out.write("</body>\n</html>\n")

    return write_atomic(target, write)
