"""helpers.display: throttled in-place rendering of a streamed answer; the last update is complete."""

from __future__ import annotations

import io

import nbformat
import pytest
from nbclient import NotebookClient

from helpers.display import CURSOR, StreamView, Throttle, in_notebook, preview_markdown


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def shell():
    """A real IPython shell whose display publisher keeps every display message."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    try:
        with capture_output() as captured:
            yield captured
    finally:
        InteractiveShell.clear_instance()


def published(captured):
    return [(o.data, o.transient, o.update) for o in captured.outputs]


# --- Throttle ------------------------------------------------------------------------------------


def test_throttle_renders_first_then_once_per_interval():
    clock = FakeClock()
    throttle = Throttle(interval=0.1, chars_per_second=1e12, clock=clock)
    assert throttle.due(1), "the first piece shows at once (time to first token stays visible)"
    assert not throttle.due(2)
    clock.now += 0.06
    assert not throttle.due(3)
    clock.now += 0.06
    assert throttle.due(4)
    assert not throttle.due(5)


def test_throttle_waits_longer_as_the_text_grows():
    clock = FakeClock()
    throttle = Throttle(interval=0.1, chars_per_second=10_000, clock=clock)
    assert throttle.wait_for(0) == pytest.approx(0.1)
    assert throttle.wait_for(20_000) == pytest.approx(2.1)
    assert throttle.due(20_000)
    clock.now += 1.0
    assert not throttle.due(20_000), "a long text is not re-rendered ten times a second"
    clock.now += 1.2
    assert throttle.due(20_000)


def test_throttle_rejects_nonsense_settings():
    with pytest.raises(ValueError):
        Throttle(interval=-1)
    with pytest.raises(ValueError):
        Throttle(chars_per_second=0)


def test_renders_per_second_are_bounded_over_a_long_stream():
    clock = FakeClock()
    view = StreamView(mode="notebook", clock=clock)
    view._render = lambda *, final: setattr(view, "renders", view.renders + 1)
    for _ in range(5_000):  # 5,000 pieces arriving over 50 simulated seconds
        view.add("토큰 ")
        clock.now += 0.01
    assert view.chunks == 5_000
    assert 50 < view.renders < 500, view.renders


# --- preview_markdown ---------------------------------------------------------------------------


def test_preview_closes_an_open_code_fence_and_adds_the_cursor():
    half = "예시입니다.\n\n```python\nfor chunk in stream:\n"
    shown = preview_markdown(half)
    assert shown.startswith(half + CURSOR)
    assert shown.endswith("\n```"), "the rest of the page is not swallowed by an open fence"


def test_preview_leaves_closed_fences_alone():
    done = "```python\nprint(1)\n```\n끝"
    assert preview_markdown(done) == done + CURSOR
    tilde = "~~~\ncode\n"
    assert preview_markdown(tilde).endswith("\n~~~")


# --- StreamView in a notebook --------------------------------------------------------------------


def test_one_display_updated_in_place_and_the_last_update_is_complete(shell):
    clock = FakeClock()
    view = StreamView(mode="notebook", clock=clock)
    pieces = ["# 제목\n\n", "스트리밍은 ", "조각을 ", "이어 붙입니다."]
    for piece in pieces:
        view.add(piece)
    assert view.renders == 1, "pieces arriving together do not each re-render"
    text = view.close()
    assert text == "".join(pieces)

    messages = published(shell)
    assert len(messages) == view.renders == 2
    (first, first_transient, first_update), (last, last_transient, last_update) = messages
    assert not first_update and last_update
    assert first_transient["display_id"] == last_transient["display_id"], "one output, in place"
    assert first["text/markdown"] == "# 제목\n\n" + CURSOR
    assert last == {"text/markdown": text, "text/plain": text}, "final: complete, no cursor"


def test_context_manager_keeps_the_partial_text_when_the_loop_fails(shell):
    def cut_stream():
        yield "앞부분은 "
        yield "도착했습니다"
        raise ConnectionError("peer closed connection")

    with pytest.raises(ConnectionError), StreamView(mode="notebook") as view:
        for piece in cut_stream():
            view.add(piece)
    assert view.closed
    last_data, _, _ = published(shell)[-1]
    assert last_data["text/plain"] == "앞부분은 도착했습니다"


def test_empty_pieces_are_ignored_and_an_empty_answer_says_so(shell):
    view = StreamView(mode="notebook")
    for piece in [None, "", None]:
        view.add(piece)
    assert view.chunks == 0 and view.renders == 0
    assert view.close() == ""
    last_data, _, _ = published(shell)[-1]
    assert "받은 텍스트가 없습니다" in last_data["text/markdown"]


def test_plain_text_view_has_no_markdown(shell):
    view = StreamView(mode="notebook", markdown=False)
    view.add("**굵게가 아닌** 글자")
    view.close()
    assert published(shell)[-1][0] == {"text/plain": "**굵게가 아닌** 글자"}


def test_adding_after_close_is_a_korean_error(shell):
    view = StreamView(mode="notebook")
    view.close()
    with pytest.raises(RuntimeError, match="닫힌"):
        view.add("늦은 조각")
    assert view.close() == "", "closing twice is harmless"


# --- outside a kernel ----------------------------------------------------------------------------


def test_text_mode_prints_pieces_as_they_come():
    out = io.StringIO()
    view = StreamView(mode="text", out=out)
    view.add("안녕")
    assert out.getvalue() == "안녕", "shown at once, not at the end"
    view.add("하세요")
    assert view.close() == "안녕하세요"
    assert out.getvalue() == "안녕하세요\n"
    assert view.renders == 0


def test_auto_mode_outside_a_kernel_is_text():
    assert not in_notebook()
    assert not StreamView().notebook


def test_a_terminal_ipython_is_not_a_notebook(shell):
    # IPython in a terminal has a shell but no kernel: display() there would print reprs.
    assert not in_notebook()
    assert not StreamView().notebook


def test_bad_mode_is_refused():
    with pytest.raises(ValueError, match="mode"):
        StreamView(mode="fancy")


def test_repr_reports_progress():
    view = StreamView(mode="text", out=io.StringIO())
    view.add("가나다")
    assert "3자" in repr(view) and "조각 1개" in repr(view)


# --- a real kernel, as papermill and nbmake run it ------------------------------------------------


def test_executed_notebook_keeps_the_complete_final_text(tmp_path):
    source = (
        "import time\n"
        "from helpers.display import StreamView\n"
        "with StreamView(interval=0.01) as view:\n"
        "    for i in range(40):\n"
        "        view.add(f'조각{i} ')\n"
        "        time.sleep(0.002)\n"
        "print('renders', view.renders)"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    NotebookClient(nb, kernel_name="python3", timeout=60).execute(cwd=str(tmp_path))
    outputs = nb.cells[0].outputs
    shown = [o for o in outputs if o.output_type == "display_data"]
    assert len(shown) == 1, "one output updated in place, not one output per update"
    expected = "".join(f"조각{i} " for i in range(40))
    assert shown[0].data["text/markdown"] == expected
    assert shown[0].data["text/plain"] == expected
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert int(printed.split()[-1]) >= 2, "it was updated while streaming, not only at the end"
