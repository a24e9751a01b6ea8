"""The fixture set and how a request finds its recorded answer.

A request matches exactly, or else on its lenient key: the provider endpoint, the conversation
(messages, system, input, prompt, tools, …), the parameters that decide the kind of answer
(tool_choice, parallel_tool_calls, response_format, the Responses API's text.format, Anthropic's
output_config / output_format, a text_generation grammar) and the stream flag. When only other
parameters differ (temperature, max_tokens, …) the closest exchange with the same lenient key
can stand in (with a warning), except in strict mode; a JSON-schema request is never answered
with free text, nor a forced tool call with a text answer. Identical requests recorded several times (sampling at a
high temperature, say) are answered in turn, so a loop of five calls sees five recorded answers.
"""

from __future__ import annotations

import difflib
import json
import os
import threading
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .fixture import Exchange, FixtureError, load_file

CONVERSATION_FIELDS = ("messages", "system", "input", "instructions", "prompt", "inputs", "tools")
# Parameters that decide the shape of the answer (free text, JSON of one schema, which tool is
# called, how many calls): a stand-in recorded with other values would answer in another shape.
ANSWER_SHAPE_FIELDS = (
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "output_format",
)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def pretty(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=1)


def _answer_shape(body: dict[str, Any]) -> dict[str, Any]:
    shape = {k: body[k] for k in ANSWER_SHAPE_FIELDS if k in body}
    # Responses text and Anthropic output_config: only their format shapes the answer
    # (text.verbosity and output_config.effort stay lenient, like a length limit)
    for holder in ("text", "output_config"):
        value = body.get(holder)
        if isinstance(value, dict) and "format" in value:
            shape[f"{holder}.format"] = value["format"]
        elif holder in body and not isinstance(value, dict):
            shape[holder] = value
    # Hugging Face text_generation: a grammar constrains the text like a response_format
    parameters = body.get("parameters")
    if isinstance(parameters, dict) and "grammar" in parameters:
        shape["parameters.grammar"] = parameters["grammar"]
    return shape


def lenient_key(method: str, host: str, path: str, query: str, body: Any) -> str:
    """What a stand-in must share with the request: endpoint, conversation, answer shape and
    stream flag (see the module docstring)."""
    parts: dict[str, Any] = {"endpoint": f"{method} {host}{path}"}
    if isinstance(body, dict):
        parts["conversation"] = {k: body[k] for k in CONVERSATION_FIELDS if k in body}
        parts["answer_shape"] = _answer_shape(body)
        parts["stream"] = bool(body.get("stream", False))
    else:
        parts["body"] = body
        parts["query"] = query
    return canonical(parts)


def exact_key(method: str, host: str, path: str, query: str, body: Any) -> str:
    return canonical([method, host, path, query, body])


def param_differences(wanted: Any, recorded: Any) -> list[str]:
    """Top-level body fields that differ, as short Korean-readable lines."""
    if not isinstance(wanted, dict) or not isinstance(recorded, dict):
        return ["요청 본문 전체"]
    lines = []
    for name in sorted(set(wanted) | set(recorded)):
        a, b = wanted.get(name, "(없음)"), recorded.get(name, "(없음)")
        if a != b:
            lines.append(f"{name}: 요청 {canonical(a)} / 픽스처 {canonical(b)}")
    return lines


def _closest(body: Any, candidates: list[Exchange]) -> Exchange:
    """The candidate differing from `body` in the fewest top-level fields (first on a tie)."""
    scored = [(len(param_differences(body, ex.body)), i) for i, ex in enumerate(candidates)]
    return candidates[min(scored)[1]]


@dataclass
class Match:
    exchange: Exchange | None
    exact: bool
    differences: list[str]
    nearest: Exchange | None = None
    diff_text: str = ""


def default_dirs() -> list[Path]:
    dirs = [Path(str(resources.files("helpers") / "fixtures"))]
    extra = os.environ.get("LLM_LAB_FIXTURES", "")
    dirs.extend(Path(p) for p in extra.split(os.pathsep) if p)
    return dirs


class FixtureStore:
    def __init__(self, dirs: list[Path] | None = None) -> None:
        self.dirs = dirs if dirs is not None else default_dirs()
        self.exchanges: list[Exchange] = []
        self.errors: list[str] = []
        self._exact: dict[str, list[Exchange]] = defaultdict(list)
        self._by_lenient_key: dict[str, list[Exchange]] = defaultdict(list)
        self._turns: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        self.reload()

    def reload(self) -> None:
        exchanges, errors = [], []
        for folder in self.dirs:
            if not folder.is_dir():
                continue
            for path in sorted(folder.rglob("*.json")):
                # One unusable file is skipped with a message naming it and its field (shown by
                # setup() and in every miss); the other fixtures are still served.
                try:
                    exchanges.append(load_file(path))
                except FixtureError as exc:
                    errors.append(str(exc))
                except Exception as exc:  # noqa: BLE001 - a bug in one file must not stop replay
                    errors.append(
                        f"픽스처 {path}를 읽다가 오류가 났습니다: {type(exc).__name__}: {exc} "
                        "— 이 파일은 건너뜁니다"
                    )
        with self._lock:
            self.exchanges, self.errors = exchanges, errors
            self._exact.clear()
            self._by_lenient_key.clear()
            self._turns.clear()
            for ex in exchanges:
                self.add(ex)

    def add(self, ex: Exchange) -> None:
        self._exact[exact_key(ex.method, ex.host, ex.path, ex.query, ex.body)].append(ex)
        key = lenient_key(ex.method, ex.host, ex.path, ex.query, ex.body)
        self._by_lenient_key[key].append(ex)

    def find(self, method: str, host: str, path: str, query: str, body: Any) -> Match:
        with self._lock:
            key = exact_key(method, host, path, query, body)
            if key in self._exact:
                return Match(self._take_turn(key, self._exact[key]), True, [])
            lenient = lenient_key(method, host, path, query, body)
            candidates = self._by_lenient_key.get(lenient, [])
            if candidates:
                best = _closest(body, candidates)
                same = [ex for ex in candidates if ex.body == best.body]
                chosen = self._take_turn(
                    "~" + exact_key(method, host, path, query, best.body), same
                )
                return Match(chosen, False, param_differences(body, best.body))
            nearest = self._nearest(method, host, path, body)
            diff = ""
            if nearest is not None:
                diff = "\n".join(
                    difflib.unified_diff(
                        pretty(nearest.body).splitlines(),
                        pretty(body).splitlines(),
                        "픽스처의 요청",
                        "보낸 요청",
                        lineterm="",
                        n=1,
                    )
                )
            return Match(None, False, [], nearest, diff)

    def same_conversation(
        self, method: str, host: str, path: str, query: str, body: Any
    ) -> list[Exchange]:
        """Stored exchanges with `body`'s lenient key (conversation and answer shape), whatever
        their other parameters: the ones that may stand in for it.

        A widget lists these as the settings replay can answer for what it is about to send.
        """
        with self._lock:
            return list(self._by_lenient_key.get(lenient_key(method, host, path, query, body), []))

    def peek(self, method: str, host: str, path: str, query: str, body: Any) -> Match:
        """What :meth:`find` would answer with, without using up a turn.

        ``exact`` tells an exact match from a stand-in with other parameters, which only a
        lenient server sends. No nearest-exchange diff is computed: a preview does not need it.
        """
        with self._lock:
            group = self._exact.get(exact_key(method, host, path, query, body))
            if group:
                return Match(group[0], True, [])
            candidates = self._by_lenient_key.get(lenient_key(method, host, path, query, body))
            if not candidates:
                return Match(None, False, [])
            best = _closest(body, candidates)
            return Match(best, False, param_differences(body, best.body))

    def _take_turn(self, key: str, group: list[Exchange]) -> Exchange:
        turn = self._turns[key]
        self._turns[key] = turn + 1
        return group[turn % len(group)]

    def _nearest(self, method: str, host: str, path: str, body: Any) -> Exchange | None:
        same_endpoint = [
            ex for ex in self.exchanges if (ex.method, ex.host, ex.path) == (method, host, path)
        ]
        if not same_endpoint:
            return None
        wanted = pretty(body)
        return max(
            same_endpoint,
            key=lambda ex: difflib.SequenceMatcher(None, wanted, pretty(ex.body)).quick_ratio(),
        )

    def describe(self) -> str:
        dirs = ", ".join(str(d) for d in self.dirs if d.is_dir()) or "(없음)"
        return f"{len(self.exchanges)}개 교환 — {dirs}"
