"""Lab checkers for lesson 05 (streaming).

Labs:

- ``"05-collect"`` — ``collect(stream) -> (text, usage)`` over an OpenAI chat stream: the text of
  every chunk, and the ``usage`` of the last chunk when ``include_usage`` was on (else ``None``).
- ``"05-ttft"`` — ``time_to_first_token(open_stream, clock) -> float | None``: seconds from before
  the request until the first chunk that carries text.
- ``"05-stop"`` — ``first_chars(stream, n) -> str``: stop reading as soon as ``n`` characters
  arrived, close the stream, return the first ``n`` characters.

The checkers hand the learner fake streams of real ``openai.types.chat.ChatCompletionChunk``
objects, parsed from what :mod:`helpers.replay.builder` writes on the wire, so the chunks look
exactly like the SDK's (role-only first chunk, empty ``choices`` in the usage chunk). No network.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from typing import Any

from . import Feedback, LearnerError, register, run_learner

__all__ = ["FakeClock", "FakeStream", "chunks_for"]

ANSWER = (
    "스트리밍은 토큰이 만들어지는 즉시 조금씩 보내는 방식입니다. 첫 글자를 빨리 볼 수 있습니다."
)
SHORT = "네, 알겠습니다."


def chunks_for(answer: str, *, include_usage: bool = True, seed: str = "lab") -> list[Any]:
    """The ``ChatCompletionChunk`` objects an OpenAI stream of ``answer`` yields, in order."""
    from openai.types.chat import ChatCompletionChunk

    from ..replay.builder import build_exchange

    body: dict[str, Any] = {
        "model": "gpt-5.4-mini",
        "messages": [{"role": "user", "content": "질문"}],
        "stream": True,
    }
    if include_usage:
        body["stream_options"] = {"include_usage": True}
    request = {"method": "POST", "host": "api.openai.com", "path": "/v1/chat/completions"}
    exchange = build_exchange(
        {**request, "query": "", "body": body}, {"name": seed, "answer": answer}
    )
    chunks = []
    for _, text in exchange.events or []:
        payload = text.removeprefix("data: ").strip()
        if payload != "[DONE]":
            chunks.append(ChatCompletionChunk.model_validate(json.loads(payload)))
    return chunks


def _texts(chunks: list[Any]) -> list[str]:
    return [c.choices[0].delta.content or "" if c.choices else "" for c in chunks]


class _FakeResponse:
    """The stream's ``response`` (an ``httpx2.Response`` in the SDK): ``close()``, ``is_closed``."""

    def __init__(self, stream: FakeStream) -> None:
        self._stream = stream

    @property
    def is_closed(self) -> bool:
        return self._stream.closed

    def close(self) -> None:
        self._stream.closed = True


class FakeStream:
    """An OpenAI ``Stream`` stand-in: an iterator (``next(stream)`` works), ``close()``,
    ``response.close()``, usable with ``with``.

    Like the SDK's ``Stream``, a second ``for`` loop resumes where the first stopped (one
    underlying generator); looping again over a closed or finished stream raises a Korean
    ``RuntimeError``, because nothing more will come. It counts how many chunks were taken
    (``taken``) and whether it was closed; with a clock it advances the clock by ``step`` seconds
    before handing out each chunk (``first`` before the first), as a network would.
    """

    def __init__(
        self,
        chunks: list[Any],
        clock: FakeClock | None = None,
        *,
        first: float = 0.3,
        step: float = 0.03,
    ) -> None:
        self.chunks = chunks
        self.clock = clock
        self.first = first
        self.step = step
        self.taken = 0
        self.closed = False
        self.response = _FakeResponse(self)
        self._generator: Iterator[Any] | None = None
        self._finished = False

    def _shared(self) -> Iterator[Any]:
        if self._generator is None:
            self._generator = self._generate()
        return self._generator

    def __iter__(self) -> Iterator[Any]:
        if self._generator is not None and (self.closed or self._finished):
            raise RuntimeError(
                "이 스트림은 이미 한 번 읽었습니다. 스트림은 한 번만 돌 수 있습니다."
            )
        return self._shared()

    def __next__(self) -> Any:
        return next(self._shared())

    def _generate(self) -> Iterator[Any]:
        for index, chunk in enumerate(self.chunks):
            if self.closed:
                return
            if self.clock is not None:
                self.clock.now += self.first if index == 0 else self.step
            self.taken += 1
            yield chunk
        self._finished = True

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> FakeStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class FakeClock:
    """``clock()`` returns the current fake time; streams move it forward."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _learner_error(fb: Feedback, exc: LearnerError) -> bool:
    """Specific hints for the two classic streaming mistakes; False when it is something else."""
    original = exc.original
    if isinstance(original, AttributeError) and "'message'" in str(original):
        fb.fail(
            f"`{exc.what}`에서 `AttributeError: {original}`가 났습니다.",
            hint="스트림 조각의 `choices[0]`에는 완성된 `message`가 없고, 새로 온 글자만 담은 "
            "`delta`가 있습니다. `chunk.choices[0].delta.content`를 읽으세요.",
        )
        return True
    if isinstance(original, IndexError):
        fb.fail(
            f"`{exc.what}`에서 `IndexError: {original}`가 났습니다.",
            hint="`include_usage`를 켠 스트림의 마지막 조각은 `choices`가 빈 리스트입니다. "
            "`chunk.choices[0]`을 읽기 전에 `if chunk.choices:`로 확인하세요.",
        )
        return True
    if isinstance(original, TypeError) and "NoneType" in str(original):
        fb.fail(
            f"`{exc.what}`에서 `TypeError: {original}`가 났습니다.",
            hint="첫 조각(역할만)과 끝 조각(finish_reason만)의 `delta.content`는 빈 문자열이거나 "
            "`None`입니다. 글자가 있을 때만(`if content:`) 이어 붙이세요.",
        )
        return True
    return False


# ------------------------------------------------------------------------------------------------
# 05-collect
# ------------------------------------------------------------------------------------------------


@register("05-collect", "collect(stream) — 글자와 사용량을 안전하게 모으기")
def check_collect(answer: Any, fb: Feedback) -> None:
    if not callable(answer):
        fb.fail(
            f"`collect`는 함수여야 합니다(받은 값: {type(answer).__name__}).",
            hint="`def collect(stream):`로 정의하세요.",
        )
        return
    with_usage = chunks_for(ANSWER, include_usage=True)
    without_usage = chunks_for(ANSWER, include_usage=False)
    expected_usage = with_usage[-1].usage
    try:
        got = run_learner(answer, FakeStream(with_usage), what="collect(stream)")
    except LearnerError as exc:
        if _learner_error(fb, exc):
            return
        raise
    if not isinstance(got, tuple) or len(got) != 2:
        fb.fail(
            f"`(텍스트, usage)` 두 값을 튜플로 돌려주어야 합니다(받은 값: {type(got).__name__}).",
            hint="마지막 줄을 `return text, usage`로 쓰세요.",
        )
        return
    text, usage = got
    passed = True
    if text != ANSWER:
        passed = False
        if isinstance(text, str) and text.replace("None", "") == ANSWER:
            fb.fail(
                "텍스트에 'None'이 섞여 있습니다.",
                hint="`delta.content`가 `None`인 조각은 건너뛰세요.",
            )
        elif isinstance(text, list):
            fb.fail(
                "텍스트가 리스트입니다.", hint='조각 리스트를 `"".join(parts)`로 합쳐 돌려주세요.'
            )
        else:
            fb.fail(
                f"모은 텍스트가 답변과 다릅니다. 기대 {len(ANSWER)}자, 받은 값 {text!r:.60}",
                hint="모든 조각의 `chunk.choices[0].delta.content`를 순서대로 이어 붙이세요.",
            )
    else:
        fb.ok("빈 `choices`와 `None` 글자를 건너뛰고 답변 전체를 모았습니다.")
    if usage is None:
        passed = False
        fb.fail(
            "`include_usage`를 켠 스트림인데 `usage`로 `None`을 돌려주었습니다.",
            hint="`usage`는 마지막 조각(`choices`가 빈 리스트인 조각)에만 있습니다. "
            "루프 안에서 `if chunk.usage: usage = chunk.usage`로 챙기세요.",
        )
    elif getattr(usage, "completion_tokens", None) != expected_usage.completion_tokens:
        passed = False
        fb.fail(
            f"`usage`가 마지막 조각의 사용량과 다릅니다(받은 값: {usage!r:.80}).",
            hint="마지막 조각의 `chunk.usage` 객체를 그대로 돌려주세요.",
        )
    else:
        fb.ok(f"마지막 조각의 사용량을 챙겼습니다(출력 토큰 {usage.completion_tokens}).")
    if not passed:
        return
    try:
        text2, usage2 = run_learner(
            answer, FakeStream(without_usage), what="collect(stream)  # include_usage 없이"
        )
    except LearnerError as exc:
        if _learner_error(fb, exc):
            return
        raise
    if text2 != ANSWER or usage2 is not None:
        fb.fail(
            "`include_usage` 없이 연 스트림에서 결과가 틀렸습니다"
            f"(텍스트 일치: {text2 == ANSWER}, usage: {usage2!r:.40}).",
            hint="사용량 조각이 없으면 `usage`는 처음 값 `None` 그대로 돌려주면 됩니다.",
        )
        return
    fb.ok("`include_usage`를 켜지 않은 스트림에서는 `usage`로 `None`을 돌려줍니다.")


# ------------------------------------------------------------------------------------------------
# 05-ttft
# ------------------------------------------------------------------------------------------------

_HEADERS = 0.2  # seconds until create() returns (response headers), before any chunk
_FIRST = 0.3  # then the role-only chunk
_STEP = 0.03  # then each further chunk


def _opener(chunks: list[Any], clock: FakeClock) -> tuple[Callable[[], FakeStream], list]:
    opened: list[FakeStream] = []

    def open_stream() -> FakeStream:
        clock.now += _HEADERS
        stream = FakeStream(chunks, clock, first=_FIRST, step=_STEP)
        opened.append(stream)
        return stream

    return open_stream, opened


@register("05-ttft", "time_to_first_token(open_stream, clock) — 첫 토큰까지의 시간")
def check_ttft(answer: Any, fb: Feedback) -> None:
    if not callable(answer):
        fb.fail(
            f"`time_to_first_token`은 함수여야 합니다(받은 값: {type(answer).__name__}).",
            hint="`def time_to_first_token(open_stream, clock):`로 정의하세요.",
        )
        return
    chunks = chunks_for(ANSWER)
    clock = FakeClock()
    open_stream, opened = _opener(chunks, clock)
    try:
        got = run_learner(
            answer, open_stream, clock, what="time_to_first_token(open_stream, clock)"
        )
    except LearnerError as exc:
        if _learner_error(fb, exc):
            return
        raise
    first_text = next(i for i, t in enumerate(_texts(chunks)) if t)
    expected = _HEADERS + _FIRST + _STEP * first_text
    if not opened:
        fb.fail(
            "`open_stream()`을 부르지 않았습니다.",
            hint="함수 안에서 `stream = open_stream()`으로 스트림을 여세요.",
        )
        return
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        fb.fail(
            f"초(숫자)를 돌려주어야 합니다(받은 값: {got!r:.60}).",
            hint="`return clock() - start`처럼 두 시각의 차이를 돌려주세요.",
        )
        return
    total = _HEADERS + _FIRST + _STEP * (len(chunks) - 1)
    close = lambda value: math.isclose(got, value, abs_tol=1e-9)  # noqa: E731
    if close(expected):
        fb.ok(f"요청 전부터 글자가 담긴 첫 조각까지 {expected:.2f}초를 정확히 쟀습니다.")
    elif close(expected - _HEADERS):
        fb.fail(
            f"{got:.2f}초: `open_stream()`이 돌아온 뒤부터 쟀습니다(기대 {expected:.2f}초).",
            hint="요청을 보내고 응답 헤더를 기다리는 시간도 사용자의 기다림입니다. "
            "`start = clock()`을 `open_stream()` 호출 **전에** 두세요.",
        )
    elif close(_HEADERS + _FIRST):
        fb.fail(
            f"{got:.2f}초: 글자가 없는 첫 조각(역할만 담은 조각)에서 멈췄습니다.",
            hint="첫 조각의 `delta.content`는 빈 문자열입니다. 글자가 있는 조각을 기다리세요.",
        )
    elif close(total) or close(total - _HEADERS):
        fb.fail(
            f"{got:.2f}초: 스트림 전체를 읽는 데 걸린 시간입니다.",
            hint="첫 글자가 온 순간 바로 `return` 하세요.",
        )
    elif close(expected * 1000):
        fb.fail(
            f"{got:.0f}: 밀리초로 돌려주었습니다(기대 {expected:.2f}초).",
            hint="`clock()`의 단위는 초입니다. 1000을 곱하지 말고 `clock() - start`를 그대로 "
            "돌려주세요.",
        )
    elif 0 < got < 0.01:
        fb.fail(
            f"{got:.6f}초: 채점기의 시계로 잰 시간이 아닙니다(기대 {expected:.2f}초).",
            hint="`time.perf_counter()`나 `time.time()` 대신 인자로 받은 `clock()`으로 재세요. "
            "채점기는 가짜 시계로 네트워크의 기다림을 흉내 냅니다.",
        )
    elif got > 100:
        fb.fail(
            f"{got:.2f}: 시간 차이가 아니라 시계의 현재 값을 돌려준 것 같습니다.",
            hint="`clock()`은 어느 기준점부터의 초입니다. 시작 시각을 빼세요.",
        )
    else:
        fb.fail(
            f"{got:.3f}초를 돌려주었습니다(기대 {expected:.3f}초).",
            hint="`start = clock()` → `open_stream()` → 글자가 있는 첫 조각에서 "
            "`return clock() - start`.",
        )
    if not close(expected):
        return
    if not opened[0].closed and opened[0].taken < len(chunks):
        fb.info("첫 글자를 잰 뒤 스트림을 더 읽지 않는다면 `stream.close()`로 닫아 두면 좋습니다.")

    empty = [c for c in chunks if not c.choices or not c.choices[0].delta.content]
    clock2 = FakeClock()
    open_empty, _ = _opener(empty, clock2)
    try:
        got2 = run_learner(
            answer, open_empty, clock2, what="time_to_first_token(...)  # 글자 없는 스트림"
        )
    except LearnerError as exc:
        if _learner_error(fb, exc):
            return
        raise
    if got2 is not None:
        fb.fail(
            f"글자가 하나도 없는 스트림에서 {got2!r}를 돌려주었습니다.",
            hint="루프가 끝날 때까지 글자가 없으면 `return None`.",
        )
        return
    fb.ok("글자가 하나도 오지 않는 스트림에서는 `None`을 돌려줍니다.")


# ------------------------------------------------------------------------------------------------
# 05-stop
# ------------------------------------------------------------------------------------------------


@register("05-stop", "first_chars(stream, n) — N자만 받고 멈추기")
def check_stop(answer: Any, fb: Feedback) -> None:
    if not callable(answer):
        fb.fail(
            f"`first_chars`는 함수여야 합니다(받은 값: {type(answer).__name__}).",
            hint="`def first_chars(stream, n):`로 정의하세요.",
        )
        return
    chunks = chunks_for(ANSWER)
    texts = _texts(chunks)
    # the middle n ends exactly where a chunk ends, so `len(text) > n` reads one chunk too many
    ends = [len("".join(texts[: i + 1])) for i in range(len(texts))]
    exact = next(end for end in ends if end >= 12)
    for n in (10, exact, 23):
        stream = FakeStream(chunks)
        try:
            got = run_learner(answer, stream, n, what=f"first_chars(stream, {n})")
        except LearnerError as exc:
            if _learner_error(fb, exc):
                return
            raise
        needed = next(i + 1 for i in range(len(texts)) if len("".join(texts[: i + 1])) >= n)
        if got != ANSWER[:n]:
            if isinstance(got, str) and got.startswith(ANSWER[:n]):
                fb.fail(
                    f"n={n}인데 {len(got)}자를 돌려주었습니다.",
                    hint="마지막 조각이 n자를 넘길 수 있습니다. `text[:n]`으로 잘라 돌려주세요.",
                )
            else:
                fb.fail(
                    f"n={n}: 앞의 {n}자와 다릅니다(받은 값: {got!r:.60}).",
                    hint="조각의 글자를 순서대로 이어 붙인 뒤 앞의 n자를 돌려주세요.",
                )
            return
        text_chunks = sum(1 for t in texts[: stream.taken] if t)
        if stream.taken > needed and n in (stream.taken, text_chunks):
            fb.fail(
                f"n={n}: 글자가 아니라 조각 수를 센 것 같습니다(조각 {stream.taken}개를 읽었습니다).",
                hint="조각 하나에 여러 글자가 올 수 있습니다. 모은 텍스트의 길이 `len(text) >= n`으로 "
                "멈추세요.",
            )
            return
        if stream.taken == needed + 1 and len("".join(texts[:needed])) == n:
            fb.fail(
                f"n={n}: 정확히 {n}자가 모였는데 조각을 하나 더 읽었습니다.",
                hint="`len(text) > n`이 아니라 `len(text) >= n`일 때 멈추세요.",
            )
            return
        if stream.taken > needed:
            fb.fail(
                f"n={n}자면 조각 {needed}개로 충분한데 {stream.taken}개를 읽었습니다.",
                hint="n자가 모인 순간 `break`로 루프를 빠져나오세요. 끝까지 읽고 자르면 "
                "일찍 멈추는 의미가 없습니다.",
            )
            return
        if not stream.closed:
            fb.fail(
                "스트림을 닫지 않았습니다.",
                hint="`break` 다음에 `stream.close()`를 부르거나, `with stream:` 안에서 읽으세요. "
                "닫아야 연결이 풀리고 서버도 더 보낼 필요가 없다는 것을 압니다.",
            )
            return
    fb.ok("n자가 모이자마자 멈추고, 스트림을 닫고, 정확히 앞의 n자를 돌려줍니다.")

    stream = FakeStream(chunks_for(SHORT))
    try:
        got = run_learner(answer, stream, 500, what="first_chars(stream, 500)")
    except LearnerError as exc:
        if _learner_error(fb, exc):
            return
        raise
    if got != SHORT:
        fb.fail(
            f"답이 n자보다 짧을 때 전체({SHORT!r})를 돌려주어야 합니다(받은 값: {got!r:.60}).",
            hint="`include_usage` 조각(빈 `choices`)에서도 멈추지 않도록 `if chunk.choices:`를 "
            "확인하고, 루프가 끝나면 모은 텍스트를 그대로 돌려주세요.",
        )
        return
    fb.ok("답이 n자보다 짧으면 전체를 돌려줍니다.")
