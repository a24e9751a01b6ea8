"""Show a streamed answer in a notebook as it arrives, rendered as Markdown, in one output.

The learner's loop stays in the lesson; this module only renders what the loop hands it::

    from helpers.display import StreamView

    with StreamView() as view:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                view.add(chunk.choices[0].delta.content)

In a Jupyter kernel (JupyterLab, Colab, VS Code) the answer is one display output created with
``display(..., display_id=True)`` and updated in place with ``update_display_data`` messages.
Re-rendering the whole Markdown for every token would cost O(n²) for long answers, so updates are
throttled: at most one every ``interval`` seconds, and less often as the text grows
(``len(text) / chars_per_second`` seconds more). ``close()`` always sends one last update with the
complete text (without the typing cursor), so papermill/nbmake outputs keep the full answer.
Outside a kernel (a script, a terminal) the pieces are simply printed as they come.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

__all__ = ["StreamView", "Throttle", "in_notebook", "preview_markdown"]

CURSOR = "▌"
_FENCE = re.compile(r"^\s{0,3}(```|~~~)", re.MULTILINE)


class Throttle:
    """Decides when an in-place display is worth re-rendering.

    ``due(size)`` is True on the first call, then again once ``interval + size / chars_per_second``
    seconds have passed since the last True: a short answer updates about ten times a second, a long
    one less often, so the total re-rendering work stays roughly proportional to the text length
    rather than to its square.
    """

    def __init__(
        self,
        interval: float = 0.1,
        chars_per_second: float = 100_000,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if interval < 0 or chars_per_second <= 0:
            raise ValueError("interval은 0 이상, chars_per_second는 0보다 커야 합니다.")
        self.interval = interval
        self.chars_per_second = chars_per_second
        self.clock = clock
        self._last: float | None = None

    def wait_for(self, size: int) -> float:
        """Seconds that must pass between two renders of a text of ``size`` characters."""
        return self.interval + size / self.chars_per_second

    def due(self, size: int) -> bool:
        now = self.clock()
        if self._last is None or now - self._last >= self.wait_for(size):
            self._last = now
            return True
        return False


def preview_markdown(text: str, cursor: str = CURSOR) -> str:
    """Markdown for a half-written answer: an open code fence is closed for now (so the rest of the
    page does not turn into code) and a typing cursor marks where text is still arriving."""
    fences = _FENCE.findall(text)
    if len(fences) % 2 == 1:
        return f"{text}{cursor}\n{fences[-1]}"
    return f"{text}{cursor}"


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Notebook, Colab, VS Code, nbclient/papermill)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class StreamView:
    """One output that shows a streamed answer while it grows; see the module docstring.

    ``add(text)`` takes each piece (``None`` and ``""`` are ignored, so role-only chunks need no
    special case); ``close()`` renders the complete text and returns it. Used as a context manager
    it closes itself, also when the loop fails half-way, so a cut stream still shows what arrived.

    mode: ``"auto"`` (a display in a kernel, printing elsewhere), ``"notebook"`` or ``"text"``.
    markdown: render as Markdown (True) or as plain text (False).
    """

    def __init__(
        self,
        *,
        markdown: bool = True,
        interval: float = 0.1,
        chars_per_second: float = 100_000,
        mode: str = "auto",
        cursor: str = CURSOR,
        clock: Callable[[], float] = time.monotonic,
        out: TextIO | None = None,
    ) -> None:
        if mode not in ("auto", "notebook", "text"):
            raise ValueError(f"mode는 'auto', 'notebook', 'text' 중 하나입니다(받은 값: {mode!r}).")
        self.markdown = markdown
        self.cursor = cursor
        self.notebook = in_notebook() if mode == "auto" else mode == "notebook"
        self.throttle = Throttle(interval, chars_per_second, clock=clock)
        self.chunks = 0
        self.renders = 0
        self.closed = False
        self._parts: list[str] = []
        self._size = 0
        self._joined = ""
        self._joined_parts = 0
        self._handle: Any = None
        self._out = out

    # -- what the learner's loop calls ----------------------------------------------------------

    def add(self, text: str | None) -> None:
        """Append one streamed piece; re-render when the throttle allows."""
        if not text:
            return
        if self.closed:
            raise RuntimeError("이미 닫힌 StreamView입니다. 새 답변에는 새 StreamView를 만드세요.")
        self._parts.append(text)
        self._size += len(text)
        self.chunks += 1
        if not self.notebook:
            out = self._out or sys.stdout
            out.write(text)
            out.flush()
        elif self.throttle.due(self._size):
            self._render(final=False)

    def close(self) -> str:
        """Show the complete text (the last update always carries all of it) and return it."""
        if self.closed:
            return self.text
        self.closed = True
        if self.notebook:
            self._render(final=True)
        else:
            out = self._out or sys.stdout
            out.write("\n")
            out.flush()
        return self.text

    @property
    def text(self) -> str:
        """Everything added so far."""
        if self._joined_parts != len(self._parts):
            self._joined = "".join(self._parts)
            self._parts = [self._joined] if self._joined else []
            self._joined_parts = len(self._parts)
        return self._joined

    def __enter__(self) -> StreamView:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "닫힘" if self.closed else "받는 중"
        return f"<StreamView {state}: {len(self.text)}자, 조각 {self.chunks}개, 화면 갱신 {self.renders}번>"

    # -- rendering ------------------------------------------------------------------------------

    def bundle(self, *, final: bool) -> dict[str, str]:
        """The MIME bundle for the current text: Markdown for notebooks, plain text as fallback."""
        text = self.text
        if not final:
            shown = preview_markdown(text, self.cursor) if self.markdown else text + self.cursor
            plain = text + self.cursor
        else:
            shown = plain = text
            if not text:
                shown = "*(받은 텍스트가 없습니다)*" if self.markdown else ""
        if self.markdown:
            return {"text/markdown": shown, "text/plain": plain}
        return {"text/plain": plain}

    def _render(self, *, final: bool) -> None:
        from IPython.display import display

        data = self.bundle(final=final)
        if self._handle is None:
            self._handle = display(data, raw=True, display_id=True)
        else:
            self._handle.update(data, raw=True)
        self.renders += 1
