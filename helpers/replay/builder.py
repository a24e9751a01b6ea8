"""Authoring fixtures without typing wire JSON by hand.

`build_exchange(request, spec)` takes a request exactly as an SDK sent it (captured by running the
notebook against the replay server) and a short spec — the answer text, optionally a finish
reason or an error — and returns the response the provider would send. Everything that is not
the answer text comes from the provider's wire profile (``helpers/data/wire_profiles.json``,
derived from public recordings): key order, ids, headers, SSE framing, the served model name,
usage counted by the provider's tokenizer rule, answers cut at the output limit by that count,
stream chunks at token boundaries and timing from published measurements. The result is
deterministic, so rebuilding gives identical files.

Spec keys (besides ``name`` and ``request``, which tools/fixtures.py reads):

- ``answer``: the answer text; a list gives one choice per text (OpenAI ``n``).
- ``finish_reason`` (OpenAI, HF) / ``stop_reason`` (Anthropic, e.g. ``refusal``): how the answer
  ends when it is not cut at the output limit (a cut always reports ``length`` / ``max_tokens``).
- ``refusal`` (OpenAI Chat Completions and Responses): the text of a refusal, in place of
  ``answer``: ``content`` null and ``refusal`` set (streamed as refusal deltas), finish_reason
  ``stop``; ``parse()`` then gives no parsed value.
- ``tool_calls``: ``[{name, arguments: {...}}]``, or ``[{name, raw_arguments: "..."}]`` whose
  string is sent verbatim as the call's arguments (OpenAI, HF; broken JSON included). A name the
  request's ``tools`` lack is allowed unless every tool is strict.
- ``usage: {reasoning: n}``, ``response_model``, ``status`` + ``error: {type, message, ...}``,
  ``headers``, ``timing: {first_token, total}``; ``models`` / ``owned_by`` / ``model_info`` for
  the model-list endpoints.

Prompt caching needs no spec key: a request that extends an earlier entry of the same spec reports
its cached prefix, by OpenAI's automatic rule (`openai_cached_tokens`) or, for a Claude request
with ``cache_control`` breakpoints, by Anthropic's (`anthropic_cache_usage`); both rules and their
sources are in the wire profiles' ``tokens.prompt_caching``.

Under a strict JSON schema (``response_format`` / Responses ``text.format`` json_schema with
strict true, Anthropic ``output_config.format``) or for a call to a strict tool, a finished answer
must conform (`validate.structured_problems`): the real API decodes under the schema, so an
authored answer that breaks it is refused with a `SpecError`.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from datetime import UTC, date, datetime
from typing import Any

from .fixture import Exchange
from .profiles import ALPHABETS, header_rules, load_profiles, new_id
from .tokens import tokenizer_for
from .validate import structured_problems


class SpecError(ValueError):
    """A fixture spec the builder cannot turn into a response (Korean message)."""


def _rng(*parts: Any) -> random.Random:
    digest = hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode())
    return random.Random(digest.hexdigest())


def _profile(provider: str) -> dict[str, Any]:
    return load_profiles()[provider]


def _compact(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _sse(data: Any, event: str | None = None) -> str:
    payload = data if isinstance(data, str) else _compact(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n"


def _authored_created(today: str, rng: random.Random) -> int:
    """A unix time on the authoring day (UTC), so `created` agrees with the fixture's date."""
    day = datetime.fromisoformat(today).replace(tzinfo=UTC)
    return int(day.timestamp()) + rng.randint(9 * 3600, 18 * 3600)


# --- Timing --------------------------------------------------------------------------------


def _stream_delays(rng: random.Random, provider: str, tokens: list[int]) -> list[float]:
    """Seconds before each event: the first after the profile's TTFT, each later one after the
    time its tokens take at the profile's output speed (with some jitter)."""
    timing = _profile(provider)["timing"]
    jitter = timing["jitter"]

    def spread(value: float) -> float:
        return round(max(0.0, value * rng.uniform(1 - jitter, 1 + jitter)), 4)

    delays = [spread(timing["ttft_s"])]
    delays += [spread(n / timing["tokens_per_s"]) for n in tokens[1:]]
    return delays


def _seconds(timing: dict[str, Any], name: str) -> float | None:
    value = timing.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise SpecError(f"timing.{name}은(는) 0 이상의 초(숫자)여야 합니다. 받은 값: {value!r}")
    return float(value)


def _retime(events: list, timing: Any) -> list:
    """Scale a stream's authored delays: the first event after `first_token` seconds, the whole
    stream in `total` seconds (at replay speed 1). Either may be left out."""
    if not isinstance(timing, dict) or not timing or set(timing) - {"first_token", "total"}:
        raise SpecError("timing은 {first_token: 초, total: 초} 형식이어야 합니다.")
    first = _seconds(timing, "first_token")
    total = _seconds(timing, "total")
    first = events[0][0] if first is None else first
    rest = [delay for delay, _ in events[1:]]
    if total is not None:
        if total < first:
            raise SpecError(f"timing.total({total})이 first_token({first})보다 짧습니다.")
        if sum(rest) > 0:
            rest = [delay * (total - first) / sum(rest) for delay in rest]
        elif rest:
            rest[-1] = total - first
    delays = [first, *rest]
    return [(round(delay, 4), text) for delay, (_, text) in zip(delays, events, strict=True)]


def _json_delay(timing: Any, provider: str, output_tokens: int) -> float:
    """A JSON answer arrives whole, `total` seconds after the request (at replay speed 1);
    ``total: profile`` takes the time the profile's service needs: TTFT + tokens / speed."""
    if not isinstance(timing, dict) or set(timing) != {"total"}:
        raise SpecError(
            "JSON 응답의 timing은 {total: 초} 또는 {total: profile}만 받습니다. first_token은 "
            "스트림 응답(stream: true)에만 쓸 수 있습니다."
        )
    if timing["total"] == "profile":
        return round(_generation_ms(provider, output_tokens) / 1000, 4)
    return _seconds(timing, "total") or 0.0


def _generation_ms(provider: str, output_tokens: int) -> int:
    timing = _profile(provider)["timing"]
    return int(1000 * (timing["ttft_s"] + output_tokens / timing["tokens_per_s"]))


# --- Answers and token counts ----------------------------------------------------------------


def _answers(spec: dict[str, Any]) -> list[str]:
    answer = spec.get("answer")
    if answer is None:
        raise SpecError("spec에 answer(답변 텍스트)가 없습니다.")
    answers = answer if isinstance(answer, list) else [answer]
    if any(not isinstance(a, str) or a.strip() in ("", "TODO") for a in answers):
        raise SpecError("답변이 아직 작성되지 않았습니다(TODO).")
    return answers


def _limit(body: dict[str, Any], *names: str) -> int | None:
    for name in names:
        if isinstance(body.get(name), int) and not isinstance(body.get(name), bool):
            return body[name]
    return None


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content
        )
    return ""


def _served_openai_model(model: Any) -> Any:
    """The API answers an alias with its dated snapshot (models.json lists the snapshots)."""
    from ..catalog import snapshots

    served = snapshots(model) if isinstance(model, str) else ()
    return served[0] if served else model


def _generate(
    provider: str, text: str, limit: int | None, *, reasoning: int = 0
) -> tuple[str, int, bool]:
    """(text sent, output tokens reported, cut?) for an answer under an output limit.

    The provider reports its visible tokens, its reasoning tokens, a fixed ``overhead`` and, when
    the answer ends by itself, a ``stop_overhead`` (Llama's end-of-turn token), as its profile
    says. A limit that this exceeds stops the answer after exactly ``limit`` tokens.
    """
    rule = _profile(provider)["tokens"].get("completion", {})
    fixed = rule.get("overhead", 0) + reasoning
    tokenizer = tokenizer_for(provider)
    used = tokenizer.count(text) + fixed + rule.get("stop_overhead", 0)
    if limit is not None and used > limit:
        return tokenizer.cut(text, max(0, limit - fixed)), limit, True
    return text, used, False


def _round(value: float) -> int:
    return math.floor(value + 0.5)


# --- Tool calls ------------------------------------------------------------------------------


def _tool_calls(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The spec's ``tool_calls``: ``[{name, arguments: {...}}]`` (arguments as a JSON object) or
    ``[{name, raw_arguments: "..."}]`` (the arguments string sent verbatim, broken JSON and all).

    The name need not be one of the request's ``tools``: a model calling a tool that does not
    exist is one of the failure modes a lesson shows."""
    calls = spec.get("tool_calls") or []
    if not isinstance(calls, list):
        raise SpecError("tool_calls는 [{name, arguments}] 형식의 목록이어야 합니다.")
    for call in calls:
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            raise SpecError("tool_calls의 각 항목에는 name(도구 이름)이 있어야 합니다.")
        if "arguments" in call and "raw_arguments" in call:
            raise SpecError(
                f"tool_calls의 {call['name']} 호출에 arguments와 raw_arguments가 함께 있습니다. "
                "JSON 객체(arguments)나 그대로 보낼 문자열(raw_arguments) 중 하나만 쓰세요."
            )
        if "raw_arguments" in call and not isinstance(call["raw_arguments"], str):
            raise SpecError(
                "tool_calls의 raw_arguments는 그대로 보낼 문자열이어야 합니다. "
                f"받은 값: {call['raw_arguments']!r}"[:200]
            )
        if not isinstance(call.get("arguments", {}), dict):
            raise SpecError("tool_calls의 arguments는 JSON 객체(dict)여야 합니다.")
    return calls


def _arguments(call: dict[str, Any]) -> str:
    # OpenAI and HF send arguments as a JSON string (SDK types: `arguments: str`); a spec's
    # raw_arguments is that string exactly as a model might emit it, valid JSON or not.
    if "raw_arguments" in call:
        return call["raw_arguments"]
    return _compact(call.get("arguments", {}))


def _refusal(spec: dict[str, Any]) -> str | None:
    """The spec's ``refusal`` text (OpenAI), or None; it replaces ``answer`` and tool calls."""
    if "refusal" not in spec:
        return None
    text = spec["refusal"]
    if not isinstance(text, str) or not text.strip():
        raise SpecError(
            "refusal은 모델이 거절하며 보내는 문장(비어 있지 않은 문자열)이어야 합니다."
        )
    if "answer" in spec or spec.get("tool_calls"):
        raise SpecError(
            "refusal이 있는 항목에는 answer나 tool_calls를 함께 쓸 수 없습니다. 거절한 응답의 "
            "content는 null입니다."
        )
    return text


def _tool_output_tokens(provider: str, calls: list[dict[str, Any]]) -> int:
    """Output tokens of tool calls: the profile's ``tokens.tools`` assumption (the real cost of
    the call framing is not public): tokens of the name plus of the compact arguments JSON,
    plus ``per_call`` framing tokens."""
    rule = _profile(provider)["tokens"]["tools"]
    tokenizer = tokenizer_for(provider)
    return sum(
        rule["per_call"] + tokenizer.count(c["name"]) + tokenizer.count(_arguments(c))
        for c in calls
    )


def _output_formats(body: dict[str, Any]) -> list[Any]:
    """The output format a body asks for, as sent: Chat Completions and HF ``response_format``,
    the Responses API's ``text.format`` (unless plain text), Anthropic's ``output_config.format``
    (what `messages.parse(output_format=...)` sends) and the deprecated top-level
    ``output_format`` of the structured-outputs beta."""
    found = [body[name] for name in ("response_format", "output_format") if body.get(name)]
    for holder in ("text", "output_config"):
        value = body.get(holder)
        form = value.get("format") if isinstance(value, dict) else None
        if form and not (holder == "text" and form == {"type": "text"}):
            found.append(form)
    return found


def _without_cache_control(value: Any) -> Any:
    """A tool list (or block) as the model reads it: a ``cache_control`` marker is an instruction
    to the API's cache, not prompt text, so it costs no tokens."""
    if isinstance(value, list):
        return [_without_cache_control(item) for item in value]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k != "cache_control"}
    return value


def _tool_prompt_tokens(provider: str, body: dict[str, Any]) -> float:
    """Prompt tokens that tool use and output formats add (0 for a body without either): by
    the profile's ``tokens.tools`` assumption, the compact JSON of ``tools``, ``tool_choice``
    and the requested output format (`_output_formats`), the tool calls and results in the
    conversation, and (Anthropic) the documented tool-use system prompt."""
    rule = _profile(provider)["tokens"]["tools"]
    tokenizer = tokenizer_for(provider)
    total: float = 0
    for name in ("tools", "tool_choice"):
        if body.get(name) is not None:
            total += tokenizer.count(_compact(_without_cache_control(body[name])))
    for form in _output_formats(body):
        total += tokenizer.count(_compact(form))
    if body.get("tools") and "system_prompt" in rule:
        given = body.get("tool_choice")
        choice = given.get("type", "auto") if isinstance(given, dict) else "auto"
        total += rule["system_prompt"].get(choice, rule["system_prompt"]["auto"])
    for message in body.get("messages") or []:
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            total += rule["per_call"] + tokenizer.count(str(function.get("name", "")))
            total += tokenizer.count(str(function.get("arguments", "")))
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "tool_use":
                total += rule["per_call"] + tokenizer.count(str(part.get("name", "")))
                total += tokenizer.count(_compact(part.get("input", {})))
            elif part.get("type") == "tool_result":
                total += rule["per_call"] + tokenizer.count(_text_of(part.get("content")))
    return total


def _openai_messages(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(role, text) of every message a Chat Completions or Responses body sends, in order."""
    messages: list[tuple[str, str]] = []
    for message in body.get("messages") or []:
        messages.append((str(message.get("role", "")), _text_of(message.get("content"))))
    if isinstance(body.get("instructions"), str):
        messages.append(("developer", body["instructions"]))
    given = body.get("input")
    if isinstance(given, str):
        messages.append(("user", given))
    elif isinstance(given, list):
        for item in given:
            if isinstance(item, dict):
                messages.append((str(item.get("role", "user")), _text_of(item.get("content"))))
    return messages


def openai_prompt_tokens(body: dict[str, Any]) -> int:
    """gpt-5.x prompt tokens: per message its content and role tokens plus 3, plus 2 overall."""
    rule = _profile("openai")["tokens"]["prompt"]
    tokenizer = tokenizer_for("openai")
    total = rule["priming"]
    for role, text in _openai_messages(body):
        total += rule["per_message"] + tokenizer.count(role) + tokenizer.count(text)
    return total + int(_tool_prompt_tokens("openai", body))


# --- Prompt caching (OpenAI) ---------------------------------------------------------------------


def _openai_prompt_sequence(body: dict[str, Any]) -> list[Any]:
    """The prompt as a token sequence by the same rule as `openai_prompt_tokens` (its length is
    that count): per message its ``per_message`` framing tokens around the role's and the
    content's o200k tokens, then the ``priming`` tokens. Framing and priming are markers that
    never equal a text token, and the priming never equals a message's framing, so a prefix shared
    by two prompts ends where their messages first differ (conservative: the real reply priming
    may share a token or two with a following assistant message's header)."""
    from ..tokencount import encode

    rule = _profile("openai")["tokens"]["prompt"]
    framing = rule["per_message"]
    sequence: list[Any] = []
    # Tools and the structured-output schema are part of the cached prefix, ahead of the
    # messages (profile: tokens.prompt_caching.tools); tool_choice is kept beside them, so two
    # prompts differing only there share less (where it really sits is not public).
    for part in [body.get("tools"), body.get("tool_choice"), *_output_formats(body)]:
        if part is not None:
            sequence.append(("part",))
            sequence.extend(encode(_compact(part)))
    for role, text in _openai_messages(body):
        sequence.append(("start",))
        sequence.extend(encode(role))
        sequence.extend(("frame", i) for i in range(1, framing - 1))
        sequence.extend(encode(text))
        sequence.append(("end",))
    sequence.extend(("priming", i) for i in range(rule["priming"]))
    return sequence


def _shared_prefix(a: list[Any], b: list[Any]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def openai_cached_tokens(body: dict[str, Any], earlier: Any = ()) -> int:
    """`usage.prompt_tokens_details.cached_tokens` for a request sent after ``earlier`` requests.

    OpenAI caches prompts of at least ``minimum`` tokens and reports a hit in ``increment``-token
    blocks of the longest prefix the request shares with an earlier one to the same model (the
    profile's ``tokens.prompt_caching``, with its source). ``earlier`` holds the spec entries (or
    bare requests) sent before this one; failed ones (status >= 400) cached nothing. Live, a hit is
    not guaranteed (the request must reach a server holding the prefix); authored fixtures show
    the hit the rule allows.
    """
    rule = _profile("openai")["tokens"]["prompt_caching"]
    model = body.get("model")
    sequence = None
    best = 0
    for item in earlier or ():
        request = item.get("request", item) if isinstance(item, dict) else None
        if not isinstance(request, dict) or int(item.get("status", 200)) >= 400:
            continue
        previous = request.get("body") or {}
        if previous.get("model") != model or not str(request.get("path", "")).endswith(
            "/chat/completions"
        ):
            continue
        if sequence is None:
            sequence = _openai_prompt_sequence(body)
        best = max(best, _shared_prefix(sequence, _openai_prompt_sequence(previous)))
    if best < rule["minimum"]:
        return 0
    return best // rule["increment"] * rule["increment"]


def anthropic_input_tokens(body: dict[str, Any]) -> int:
    """Claude input tokens by the profile's documented rule (messages and count_tokens alike)."""
    rule = _profile("anthropic")["tokens"]["prompt"]
    tokenizer = tokenizer_for("anthropic")
    messages = body.get("messages") or []
    total = rule["base"] + rule["per_extra_turn"] * max(0, len(messages) - 1)
    total += sum(tokenizer.count(_text_of(m.get("content"))) for m in messages)
    system = _text_of(body.get("system"))
    if system:
        total += tokenizer.count(system) + rule["system_extra"]
    return _round(total + _tool_prompt_tokens("anthropic", body))


# --- Prompt caching (Anthropic) ------------------------------------------------------------------


def _anthropic_caching_rule() -> dict[str, Any]:
    return _profile("anthropic")["tokens"]["prompt_caching"]


def anthropic_cache_minimum(model: Any) -> int:
    """The minimum cacheable prompt length of ``model`` (its alias or a dated id of it), from the
    profile's ``tokens.prompt_caching.minimum``; a model the table lacks gets its ``default``."""
    table = _anthropic_caching_rule()["minimum"]
    if isinstance(model, str):
        for name, tokens in table["by_model"].items():
            if model == name or re.fullmatch(re.escape(name) + r"-\d{8}", model):
                return tokens
    return table["default"]


def _cache_mark(where: str, mark: Any) -> dict[str, Any] | None:
    """A block's ``cache_control`` as the API accepts it (None when absent), else a SpecError."""
    if mark is None:
        return None
    ttls = _anthropic_caching_rule()["ttl"]["values"]
    if not isinstance(mark, dict) or mark.get("type") != "ephemeral":
        raise SpecError(
            f"{where}의 cache_control은 {{type: ephemeral}}(선택: ttl)이어야 합니다. "
            f"받은 값: {mark!r}"[:200]
        )
    if mark.get("ttl", "5m") not in ttls:
        raise SpecError(
            f"{where}의 cache_control.ttl은 {', '.join(ttls)} 중 하나여야 합니다. "
            f"받은 값: {mark.get('ttl')!r}"
        )
    return mark


def _anthropic_prompt_blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The prompt's cacheable blocks in the API's cache order (tools, system, messages), each
    with its identity (the block without its cache marker), the tokens it adds to the prompt by
    `anthropic_input_tokens`' rule and its ``cache_control``.

    The settings that invalidate only the messages cache (tool_choice, thinking, the output
    format, with the tool-use system prompt that depends on tool_choice) are folded into the
    first message block. Of the prompt's fixed framing, ``framing.after_last_block`` tokens
    follow the last block (never cached) and the rest opens the first (profile:
    ``tokens.prompt_caching.framing``)."""
    rule = _profile("anthropic")["tokens"]["prompt"]
    tools_rule = _profile("anthropic")["tokens"]["tools"]
    tokenizer = tokenizer_for("anthropic")
    blocks: list[dict[str, Any]] = []

    def add(where: str, identity: Any, tokens: float, mark: Any, cacheable: bool = True) -> None:
        blocks.append(
            {
                "identity": _compact(identity),
                "tokens": tokens,
                "mark": _cache_mark(where, mark),
                "cacheable": cacheable,
            }
        )

    for n, tool in enumerate(body.get("tools") or []):
        plain = _without_cache_control(tool)
        mark = tool.get("cache_control") if isinstance(tool, dict) else None
        add(f"tools[{n}]", ["tool", plain], tokenizer.count(_compact(plain)), mark)
    system = body.get("system")
    parts = [{"type": "text", "text": system}] if isinstance(system, str) and system else []
    parts = system if isinstance(system, list) else parts
    for n, part in enumerate(parts):
        text = _text_of([part])
        extra = rule["system_extra"] if n == 0 else 0
        mark = part.get("cache_control") if isinstance(part, dict) else None
        add(
            f"system[{n}]",
            ["system", _without_cache_control(part)],
            tokenizer.count(text) + extra,
            mark,
            bool(text),
        )
    settings: dict[str, Any] = {
        "tool_choice": body.get("tool_choice"),
        "thinking": body.get("thinking"),
        "formats": _output_formats(body),
    }
    setting_tokens: float = sum(tokenizer.count(_compact(f)) for f in settings["formats"])
    if body.get("tool_choice") is not None:
        setting_tokens += tokenizer.count(_compact(body["tool_choice"]))
    if body.get("tools") and "system_prompt" in tools_rule:
        given = body.get("tool_choice")
        choice = given.get("type", "auto") if isinstance(given, dict) else "auto"
        setting_tokens += tools_rule["system_prompt"].get(
            choice, tools_rule["system_prompt"]["auto"]
        )
    for n, message in enumerate(body.get("messages") or []):
        content = message.get("content")
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
        for k, part in enumerate(parts if isinstance(parts, list) else []):
            if not isinstance(part, dict):
                continue
            kind = part.get("type")
            if kind == "tool_use":
                tokens: float = tools_rule["per_call"] + tokenizer.count(str(part.get("name", "")))
                tokens += tokenizer.count(_compact(part.get("input", {})))
            elif kind == "tool_result":
                tokens = tools_rule["per_call"] + tokenizer.count(_text_of(part.get("content")))
            else:
                tokens = tokenizer.count(str(part.get("text", "")))
            identity: list[Any] = [message.get("role"), k, _without_cache_control(part)]
            if k == 0:
                tokens += rule["per_extra_turn"] if n else setting_tokens
                if n == 0:
                    identity.append(settings)
            cacheable = kind not in ("thinking", "redacted_thinking") and not (
                kind == "text" and not part.get("text")
            )
            add(
                f"messages[{n}].content[{k}]",
                identity,
                tokens,
                part.get("cache_control"),
                cacheable,
            )
    if blocks:  # the opening framing is part of every prefix; the closing part of none
        framing = _anthropic_caching_rule()["framing"]["after_last_block"]
        blocks[0]["tokens"] += rule["base"] - framing
    return blocks


def _anthropic_breakpoints(body: dict[str, Any], blocks: list[dict[str, Any]]) -> list[tuple]:
    """(block index, ttl) of each cache breakpoint, in prompt order: the blocks marked with
    ``cache_control`` and, for a top-level ``cache_control`` (automatic caching), the last
    cacheable block. The API's 400s for these markers become SpecErrors."""
    rule = _anthropic_caching_rule()
    marks = [(i, b["mark"].get("ttl", "5m")) for i, b in enumerate(blocks) if b["mark"]]
    automatic = _cache_mark("요청 최상위", body.get("cache_control"))
    if automatic is not None:
        last = next((i for i in range(len(blocks) - 1, -1, -1) if blocks[i]["cacheable"]), None)
        ttl = automatic.get("ttl", "5m")
        if last is not None and blocks[last]["mark"]:
            if blocks[last]["mark"].get("ttl", "5m") != ttl:
                raise SpecError(
                    "최상위 cache_control(자동 캐싱)의 ttl이 마지막 블록에 직접 붙인 "
                    "cache_control의 ttl과 다릅니다. 실제 API는 이 요청을 400 오류로 거절합니다."
                )
        elif last is not None:
            if len(marks) >= rule["max_breakpoints"]:
                raise SpecError(
                    f"블록에 직접 붙인 cache_control이 이미 {rule['max_breakpoints']}개라 "
                    "최상위 cache_control(자동 캐싱)이 쓸 자리가 없습니다. 실제 API는 이 요청을 "
                    "400 오류로 거절합니다."
                )
            marks.append((last, ttl))
    if len(marks) > rule["max_breakpoints"]:
        raise SpecError(
            f"cache_control 중단점이 {len(marks)}개입니다. 한 요청에는 최대 "
            f"{rule['max_breakpoints']}개까지 둘 수 있고, 실제 API는 더 많으면 400 오류로 "
            "거절합니다."
        )
    return sorted(marks)


def anthropic_prefixes(
    body: dict[str, Any],
) -> tuple[list[dict[str, Any]], list[str], list[int], int]:
    """(blocks, the cache key of the prefix ending at each block, its tokens, all input tokens).

    A key chains the model and the identities of every block up to and including that one, as
    the API hashes the cumulative prefix; the prefix tokens never exceed the prompt's total."""
    blocks = _anthropic_prompt_blocks(body)
    total = anthropic_input_tokens(body)
    keys, tokens = [], []
    digest = hashlib.sha256(_compact(["anthropic", body.get("model")]).encode())
    running: float = 0
    for block in blocks:
        digest.update(block["identity"].encode())
        keys.append(digest.copy().hexdigest())
        running += block["tokens"]
        tokens.append(min(total, _round(running)))
    return blocks, keys, tokens, total


def _anthropic_cache_writes(body: dict[str, Any]) -> set[str]:
    """The cache entries a request leaves: one at each breakpoint whose prefix is at least the
    model's minimum cacheable length (writes happen only at breakpoints)."""
    blocks, keys, tokens, _ = anthropic_prefixes(body)
    minimum = anthropic_cache_minimum(body.get("model"))
    return {keys[i] for i, _ in _anthropic_breakpoints(body, blocks) if tokens[i] >= minimum}


def _is_anthropic_message(item: Any) -> dict[str, Any] | None:
    """The body of an earlier spec entry (or bare request) that could have written a cache
    entry: a successful Messages call (count_tokens caches nothing)."""
    request = item.get("request", item) if isinstance(item, dict) else None
    if not isinstance(request, dict) or int(item.get("status", 200)) >= 400:
        return None
    path = str(request.get("path", ""))
    provider = request.get("provider") or provider_of(str(request.get("host", "")))
    if provider != "anthropic" or not path.endswith("/messages"):
        return None
    return request.get("body") or {}


def anthropic_cache_usage(body: dict[str, Any], earlier: Any = ()) -> dict[str, int]:
    """The cache counts of a Messages request sent after ``earlier`` (spec entries or bare
    requests of the same lesson): ``input_tokens``, ``cache_creation_input_tokens``,
    ``cache_read_input_tokens`` and the 5m/1h split of the creation.

    By the profile's ``tokens.prompt_caching`` (Anthropic's prompt caching page): for each
    breakpoint the API looks for an entry an earlier request wrote, at the breakpoint and then
    one block at a time backwards, at most ``lookback_blocks`` positions; the longest prefix
    found is read. The tokens from there to the last breakpoint are written (each stretch under
    the TTL of the breakpoint that ends it), if that breakpoint's prefix reaches the model's
    minimum; the rest is ``input_tokens``, so the three add up to the prompt's input tokens.
    The TTL is not simulated: an earlier entry is assumed to be still alive.
    """
    blocks, keys, tokens, total = anthropic_prefixes(body)
    breakpoints = _anthropic_breakpoints(body, blocks)
    split = {"5m": 0, "1h": 0}
    read = 0
    if breakpoints:
        read = _anthropic_cache_read(body, keys, tokens, breakpoints, earlier)
        minimum = anthropic_cache_minimum(body.get("model"))
        start = read
        for position, ttl in breakpoints:
            if tokens[position] >= minimum and tokens[position] > start:
                split[ttl] += tokens[position] - start
                start = tokens[position]
    return {
        "input_tokens": total - read - split["5m"] - split["1h"],
        "cache_creation_input_tokens": split["5m"] + split["1h"],
        "cache_read_input_tokens": read,
        "ephemeral_5m_input_tokens": split["5m"],
        "ephemeral_1h_input_tokens": split["1h"],
    }


def _anthropic_cache_read(
    body: dict[str, Any], keys: list[str], tokens: list[int], breakpoints: list[tuple], earlier: Any
) -> int:
    """Tokens of the longest prefix an earlier request to the same model wrote that a
    breakpoint's lookback finds (0 when none)."""
    rule = _anthropic_caching_rule()
    written: set[str] = set()
    for item in earlier or ():
        previous = _is_anthropic_message(item)
        if previous is None or previous.get("model") != body.get("model"):
            continue
        try:
            written |= _anthropic_cache_writes(previous)
        except SpecError:  # markers the API refuses with a 400: that request cached nothing
            continue
    read = 0
    for position, _ in breakpoints:
        for back in range(position, max(-1, position - rule["lookback_blocks"]), -1):
            if keys[back] in written:
                read = max(read, tokens[back])
                break
    return read


def hf_prompt_tokens(body: dict[str, Any]) -> int:
    """Llama 3.1 chat template: a fixed preamble, 4 per turn, and the system prompt plus 1."""
    rule = _profile("huggingface")["tokens"]["prompt"]
    tokenizer = tokenizer_for("huggingface")
    total = rule["template_base"]
    for message in body.get("messages") or []:
        text = _text_of(message.get("content")).strip()
        if message.get("role") == "system":
            total += tokenizer.count(text) + rule["system_extra"]
        else:
            total += rule["per_message"] + tokenizer.count(text)
    return total + int(_tool_prompt_tokens("huggingface", body))


# --- Headers -----------------------------------------------------------------------------------


def _reset_time(created: int, seconds: int) -> str:
    return datetime.fromtimestamp(created + seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _headers(
    provider: str,
    kind: str,
    rng: random.Random,
    *,
    created: int,
    tokens: int,
    generation_ms: int,
    spec: dict[str, Any],
) -> dict[str, str]:
    """The profile's header set for this kind of response, with values of the real formats."""
    profile = _profile(provider)
    limits = profile.get("rate_limits", {})
    values: dict[str, str] = {}
    for name, rule in header_rules(provider, kind).items():
        if isinstance(rule, str):
            values[name] = rule
            continue
        if name in ("x-request-id", "request-id"):
            values[name] = new_id(provider, "request", rng)
        elif name == "inference-id":
            values[name] = new_id(provider, "inference", rng)
        elif name == "openai-processing-ms":
            values[name] = str(generation_ms)
        elif name == "x-envoy-upstream-service-time":
            values[name] = str(generation_ms + rng.randint(3, 40))
        elif name == "server-timing":
            values[name] = f"x-originResponse;dur={generation_ms + rng.randint(3, 40)}"
        elif name.startswith("x-ratelimit-"):
            which = "requests" if name.endswith("-requests") else "tokens"
            limit = limits[which]
            if "-limit-" in name:
                values[name] = str(limit)
            elif "-remaining-" in name:
                values[name] = str(limit - (1 if which == "requests" else tokens))
            else:
                step = 60_000 / limits["requests"] if which == "requests" else 0
                values[name] = f"{max(1, round(step))}ms" if step else "0s"
        elif name.startswith("anthropic-ratelimit-"):
            which = name.removeprefix("anthropic-ratelimit-").rsplit("-", 1)[0]
            limit = limits[which.replace("-", "_")]
            if name.endswith("-limit"):
                values[name] = str(limit)
            elif name.endswith("-remaining"):
                values[name] = str(limit - (1 if which == "requests" else tokens))
            else:
                values[name] = _reset_time(created, 1)
        else:
            raise SpecError(f"프로필의 헤더 {name}에 값을 만드는 규칙이 없습니다.")
    values.update({k.lower(): str(v) for k, v in spec.get("headers", {}).items()})
    return values


# --- Errors ------------------------------------------------------------------------------------


def _error(provider: str, spec: dict[str, Any], rng: random.Random) -> Any:
    err = spec.get("error", {})
    message = err.get("message", "error")
    if provider == "anthropic":
        return {
            "type": "error",
            "error": {"type": err.get("type", "api_error"), "message": message},
            "request_id": new_id("anthropic", "request", rng),
        }
    if provider == "huggingface":
        return {"error": message}
    return {
        "error": {
            "message": message,
            "type": err.get("type", "invalid_request_error"),
            "param": err.get("param"),
            "code": err.get("code"),
        }
    }


# --- OpenAI ------------------------------------------------------------------------------------


def _obfuscated(rng: random.Random, data: dict[str, Any]) -> dict[str, Any]:
    """Pad a chunk the way the API does: its compact JSON is 1 mod 16 characters long."""
    rule = _profile("openai")["sse"]["obfuscation"]
    bare = _compact({**data, "obfuscation": ""})
    size = (rule["remainder"] - len(bare)) % rule["modulus"]
    return {**data, "obfuscation": "".join(rng.choice(ALPHABETS["base62"]) for _ in range(size))}


def openai_chat(
    body: dict[str, Any],
    spec: dict[str, Any],
    rng: random.Random,
    created: int,
    earlier: Any = (),
) -> tuple[Any, list | None, int]:
    limit = _limit(body, "max_completion_tokens", "max_tokens")
    reasoning = spec.get("usage", {}).get("reasoning", 0)
    calls = _tool_calls(spec)
    refusal = _refusal(spec)
    # A refusal ends like any answer, with finish_reason "stop" (the public recordings of a
    # refused chat.completions.parse request listed in the profile's sources).
    reason = spec.get("finish_reason", "tool_calls" if calls else "stop")
    # (content, refusal, finish_reason) per choice
    choices: list[tuple[str | None, str | None, str]] = []
    completion = 0
    if refusal is not None:
        said, used, cut = _generate("openai", refusal, limit, reasoning=reasoning)
        choices.append((None, said, "length" if cut else reason))
        completion += used
    elif calls and "answer" not in spec:
        # a tool-only answer: no text (content null), the calls' tokens plus the fixed overhead
        choices.append((None, None, reason))
        completion += _generate("openai", "", None, reasoning=reasoning)[1]
    else:
        for answer in _answers(spec):
            text, used, cut = _generate("openai", answer, limit, reasoning=reasoning)
            choices.append((text, None, "length" if cut else reason))
            completion += used
    completion += _tool_output_tokens("openai", calls)
    call_ids = [new_id("openai", "tool_call", rng) for _ in calls]
    prompt = openai_prompt_tokens(body)
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {
            "cached_tokens": openai_cached_tokens(body, earlier),
            "audio_tokens": 0,
        },
        "completion_tokens_details": {
            "reasoning_tokens": reasoning * len(choices),
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    head = {
        "id": new_id("openai", "chat", rng),
        "object": "chat.completion",
        "created": created,
        "model": spec.get("response_model") or _served_openai_model(body.get("model")),
    }
    if not body.get("stream"):
        message = {"role": "assistant", "content": None, "refusal": None, "annotations": []}
        if calls:
            # the real message carries tool_calls between content and refusal
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": call["name"], "arguments": _arguments(call)},
                    }
                    for call_id, call in zip(call_ids, calls, strict=True)
                ],
                "refusal": None,
                "annotations": [],
            }
        return (
            {
                **head,
                "choices": [
                    {
                        "index": i,
                        "message": {**message, "content": text, "refusal": refused},
                        "finish_reason": why,
                    }
                    for i, (text, refused, why) in enumerate(choices)
                ],
                "usage": usage,
                "service_tier": "default",
                "system_fingerprint": None,
            },
            None,
            completion,
        )
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    head = {**head, "object": "chat.completion.chunk", "service_tier": "default"}
    head["system_fingerprint"] = None

    def chunk(choice_list: list, usage_value: Any = None) -> str:
        data = {**head, "choices": choice_list}
        if include_usage:
            data["usage"] = usage_value
        return _sse(_obfuscated(rng, data))

    texts, sizes = [], []
    tokenizer = tokenizer_for("openai")
    for i, (text, refused, why) in enumerate(choices):
        if refused is not None:
            # the recorded refusal stream opens with content null and an empty refusal, then
            # sends the refusal text token by token
            opening = {"role": "assistant", "content": None, "refusal": ""}
            texts.append(chunk([{"index": i, "delta": opening, "finish_reason": None}]))
            sizes.append(0)
            for piece in tokenizer.chunks(refused):
                part = {"refusal": piece}
                texts.append(chunk([{"index": i, "delta": part, "finish_reason": None}]))
                sizes.append(1)
            texts.append(chunk([{"index": i, "delta": {}, "finish_reason": why}]))
            sizes.append(0)
            continue
        delta = {"role": "assistant", "content": "" if text is not None else None}
        if text is None:
            delta["tool_calls"] = []  # filled by the first call's header below
        delta["refusal"] = None
        if text is not None:
            texts.append(chunk([{"index": i, "delta": delta, "finish_reason": None}]))
            sizes.append(0)
            for piece in tokenizer.chunks(text):
                content = {"content": piece}
                texts.append(chunk([{"index": i, "delta": content, "finish_reason": None}]))
                sizes.append(1)
        for n, (call_id, call) in enumerate(zip(call_ids, calls, strict=True)):
            # first the call's id, type and name with empty arguments, then the arguments
            # string in token pieces (each delta names the call by its index)
            header = {
                "index": n,
                "id": call_id,
                "type": "function",
                "function": {"name": call["name"], "arguments": ""},
            }
            first = {**delta, "tool_calls": [header]} if text is None and n == 0 else None
            first = first or {"tool_calls": [header]}
            texts.append(chunk([{"index": i, "delta": first, "finish_reason": None}]))
            sizes.append(1)
            for piece in tokenizer.chunks(_arguments(call)):
                part = {"tool_calls": [{"index": n, "function": {"arguments": piece}}]}
                texts.append(chunk([{"index": i, "delta": part, "finish_reason": None}]))
                sizes.append(1)
        texts.append(chunk([{"index": i, "delta": {}, "finish_reason": why}]))
        sizes.append(0)
    if include_usage:
        texts.append(chunk([], usage))
        sizes.append(0)
    texts.append(_sse("[DONE]"))
    sizes.append(0)
    delays = _stream_delays(rng, "openai", sizes)
    return None, list(zip(delays, texts, strict=True)), completion


def _response_id(rng: random.Random, created: int, prefix: str, shared: str) -> str:
    """Responses ids: a prefix shared by a response's items, '00', created_at in hex, 24 hex."""
    tail = "".join(rng.choice(ALPHABETS["hex"]) for _ in range(24))
    return f"{prefix}{shared}00{created:08x}{tail}"


def openai_responses(
    body: dict[str, Any], spec: dict[str, Any], rng: random.Random, created: int
) -> tuple[Any, None, int]:
    if body.get("stream"):
        raise SpecError("Responses API 스트림은 아직 빌더가 지원하지 않습니다.")
    if spec.get("tool_calls"):
        raise SpecError("Responses API의 도구 호출은 아직 빌더가 지원하지 않습니다.")
    limit = _limit(body, "max_output_tokens")
    refusal = _refusal(spec)
    said = refusal if refusal is not None else _answers(spec)[0]
    text, output, truncated = _generate("openai", said, limit)
    if refusal is not None:
        part = {"type": "refusal", "refusal": text}
    else:
        part = {"type": "output_text", "annotations": [], "logprobs": [], "text": text}
    given = body.get("text") if isinstance(body.get("text"), dict) else {}
    # the response echoes the requested text settings (defaults: plain text, medium verbosity)
    text_settings = {
        "format": given.get("format") or {"type": "text"},
        "verbosity": given.get("verbosity") or "medium",
    }
    prompt = openai_prompt_tokens(body)
    shared = "".join(rng.choice(ALPHABETS["hex"]) for _ in range(16))
    generation_s = max(1, _generation_ms("openai", output) // 1000)
    return (
        {
            "id": _response_id(rng, created, "resp_", shared),
            "object": "response",
            "created_at": created,
            "status": "incomplete" if truncated else "completed",
            "background": False,
            "billing": {"payer": "developer"},
            "completed_at": None if truncated else created + generation_s,
            "error": None,
            "frequency_penalty": 0.0,
            "incomplete_details": {"reason": "max_output_tokens"} if truncated else None,
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "max_tool_calls": None,
            "model": spec.get("response_model") or _served_openai_model(body.get("model")),
            "moderation": None,
            "output": [
                {
                    "id": _response_id(rng, created, "msg_", shared),
                    "type": "message",
                    "status": "incomplete" if truncated else "completed",
                    "content": [part],
                    "role": "assistant",
                }
            ],
            "parallel_tool_calls": True,
            "presence_penalty": 0.0,
            "previous_response_id": body.get("previous_response_id"),
            "prompt_cache_key": None,
            "prompt_cache_retention": "in_memory",
            "reasoning": {"effort": "none", "summary": None},
            "safety_identifier": None,
            "service_tier": "default",
            "store": body.get("store", True),
            "temperature": body.get("temperature", 1.0),
            "text": text_settings,
            "tool_choice": "auto",
            "tools": [],
            "top_logprobs": 0,
            "top_p": body.get("top_p", 1.0),
            "truncation": "disabled",
            "usage": {
                "input_tokens": prompt,
                # the installed SDK requires cache_write_tokens; the recordings predate it
                "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                "output_tokens": output,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": prompt + output,
            },
            "user": None,
            "metadata": {},
        },
        None,
        output,
    )


def openai_models(spec: dict[str, Any], created: int) -> Any:
    owners = spec.get("owned_by", "system")
    return {
        "object": "list",
        "data": [
            {"id": model, "object": "model", "created": created, "owned_by": owners}
            for model in spec.get("models", [])
        ],
    }


# --- Anthropic ---------------------------------------------------------------------------------


def _padded(rng: random.Random, data: Any) -> str:
    """The API puts 0-15 spaces before the closing brace of each event's JSON."""
    text = _compact(data)
    most = _profile("anthropic")["sse"]["padding"]["max_spaces"]
    return text[:-1] + " " * rng.randint(0, most) + "}"


def anthropic_message(
    body: dict[str, Any],
    spec: dict[str, Any],
    rng: random.Random,
    created: int,
    earlier: Any = (),
) -> tuple[Any, Any, int]:
    profile = _profile("anthropic")
    calls = _tool_calls(spec)
    if any("raw_arguments" in call for call in calls):
        raise SpecError(
            "Anthropic의 tool_use 블록은 input을 JSON 객체로 보내므로 raw_arguments(그대로 보낼 "
            "문자열)를 쓸 수 없습니다. arguments에 객체를 쓰세요."
        )
    if "refusal" in spec:
        raise SpecError(
            "refusal 필드는 OpenAI 응답에만 있습니다. Claude의 거절은 stop_reason: refusal로 "
            "쓰세요."
        )
    if calls and "answer" not in spec:
        text, output_tokens, cut = None, 0, False
    else:
        text, output_tokens, cut = _generate("anthropic", _answers(spec)[0], body.get("max_tokens"))
    output_tokens += _tool_output_tokens("anthropic", calls)
    default_stop = "tool_use" if calls else "end_turn"
    stop_reason = "max_tokens" if cut else spec.get("stop_reason", default_stop)
    tool_blocks = [
        {
            "type": "tool_use",
            "id": new_id("anthropic", "tool_use", rng),
            "name": call["name"],
            "input": call.get("arguments", {}),
        }
        for call in calls
    ]
    text_blocks = [] if text is None else [{"type": "text", "text": text}]
    cache = anthropic_cache_usage(body, earlier)
    model = spec.get("response_model", body.get("model"))
    geo = profile["inference_geo"]
    usage = {
        "input_tokens": cache["input_tokens"],
        "cache_creation_input_tokens": cache["cache_creation_input_tokens"],
        "cache_read_input_tokens": cache["cache_read_input_tokens"],
        "cache_creation": {
            "ephemeral_5m_input_tokens": cache["ephemeral_5m_input_tokens"],
            "ephemeral_1h_input_tokens": cache["ephemeral_1h_input_tokens"],
        },
        "output_tokens": output_tokens,
        "service_tier": "standard",
        "inference_geo": geo.get(model, geo["default"]),
    }
    message = {
        "model": model,
        "id": new_id("anthropic", "message", rng),
        "type": "message",
        "role": "assistant",
        "content": text_blocks + tool_blocks,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "stop_details": None,
        "usage": usage,
    }
    if not body.get("stream"):
        return message, None, output_tokens
    start = {
        **message,
        "content": [],
        "stop_reason": None,
        "usage": {**usage, "output_tokens": 1},
    }
    events = [("message_start", {"type": "message_start", "message": start}, 0)]
    sizes = profile["timing"]["tokens_per_delta"]

    def block_events(index: int, block: dict[str, Any], field: str, kind: str, body: str) -> None:
        """One content block: its start, `kind` deltas carrying `body` in token groups, stop."""
        events.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": block},
                0,
            )
        )
        if index == 0:
            events.append(("ping", None, 0))
        if kind == "input_json_delta":  # the API opens a tool's input with an empty piece
            delta = {"type": kind, field: ""}
            events.append(
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                    0,
                )
            )
        tokens = tokenizer_for("anthropic").tokens(body)
        i = 0
        while i < len(tokens):
            size = rng.choice(sizes)
            piece = "".join(tokens[i : i + size])
            i += size
            if piece:
                delta = {"type": kind, field: piece}
                events.append(
                    (
                        "content_block_delta",
                        {"type": "content_block_delta", "index": index, "delta": delta},
                        size,
                    )
                )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}, 0))

    if text is not None:
        block_events(0, {"type": "text", "text": ""}, "text", "text_delta", text)
    for n, tool in enumerate(tool_blocks, start=len(text_blocks)):
        block = {**tool, "input": {}}
        block_events(n, block, "partial_json", "input_json_delta", _compact(tool["input"]))
    end_usage = {
        "input_tokens": cache["input_tokens"],
        "cache_creation_input_tokens": cache["cache_creation_input_tokens"],
        "cache_read_input_tokens": cache["cache_read_input_tokens"],
        "output_tokens": output_tokens,
    }
    delta = {"stop_reason": stop_reason, "stop_sequence": None, "stop_details": None}
    events.append(
        ("message_delta", {"type": "message_delta", "delta": delta, "usage": end_usage}, 0)
    )
    events.append(("message_stop", {"type": "message_stop"}, 0))
    texts = [
        f"event: {name}\ndata: {profile['sse']['ping'] if data is None else _padded(rng, data)}\n\n"
        for name, data, _ in events
    ]
    delays = _stream_delays(rng, "anthropic", [n for _, _, n in events])
    return None, list(zip(delays, texts, strict=True)), output_tokens


def anthropic_models(spec: dict[str, Any]) -> Any:
    """`models: {id: display_name}` (or a list of ids). A value may also be a dict of fields
    (`display_name`, `created_at`, `lifecycle`, `retires_at`, ...) overriding the defaults."""
    models = spec.get("models", {})
    if isinstance(models, list):
        models = {model: model for model in models}
    data = []
    for model, value in models.items():
        fields = value if isinstance(value, dict) else {"display_name": value}
        entry = {
            "type": "model",
            "id": model,
            "display_name": model,
            "created_at": None,
            "lifecycle": "active",
            "deprecated_at": None,
            "retires_at": None,
            "max_input_tokens": None,
            "max_tokens": None,
        }
        entry.update({k: v for k, v in fields.items() if k in entry})
        if entry["created_at"] is None:
            raise SpecError(f"models의 {model}에 created_at(출시일)이 없습니다.")
        data.append(entry)
    return {
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


# --- Hugging Face ------------------------------------------------------------------------------


def _hf_model(request: dict[str, Any], body: dict[str, Any]) -> Any:
    served = _profile("huggingface")["served_model"]
    return served.get(body.get("model"), body.get("model"))


def hf_chat(
    request: dict[str, Any],
    body: dict[str, Any],
    spec: dict[str, Any],
    rng: random.Random,
    created: int,
) -> tuple[Any, Any, int]:
    """novita through the router (see the profile): OpenAI-like, with its own conventions."""
    profile = _profile("huggingface")
    tokenizer = tokenizer_for("huggingface")
    calls = _tool_calls(spec)
    if calls and body.get("stream"):
        raise SpecError("Hugging Face 스트림의 도구 호출은 아직 빌더가 지원하지 않습니다.")
    if "refusal" in spec:
        raise SpecError("refusal 필드는 OpenAI 응답에만 있습니다(Hugging Face에는 없습니다).")
    if calls and "answer" not in spec:
        text, completion, cut = None, _generate("huggingface", "", None)[1], False
    else:
        text, completion, cut = _generate(
            "huggingface", _answers(spec)[0], _limit(body, "max_tokens")
        )
    completion += _tool_output_tokens("huggingface", calls)
    why = "length" if cut else spec.get("finish_reason", "tool_calls" if calls else "stop")
    prompt = hf_prompt_tokens(body)
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": None,
        "completion_tokens_details": None,
    }
    head = {
        "id": new_id("huggingface", "chat", rng),
        "object": "chat.completion",
        "created": created,
        "model": spec.get("response_model") or _hf_model(request, body),
    }
    if not body.get("stream"):
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if calls:
            message["tool_calls"] = [
                {
                    "id": new_id("huggingface", "tool_call", rng),
                    "type": "function",
                    "function": {"name": call["name"], "arguments": _arguments(call)},
                }
                for call in calls
            ]
        choice = {"index": 0, "message": message, "finish_reason": why}
        return (
            {**head, "choices": [choice], "usage": usage, "system_fingerprint": ""},
            None,
            completion,
        )
    head["object"] = "chat.completion.chunk"
    timing = profile["timing"]
    pieces = tokenizer.tokens(text)
    groups, sizes, i = [], [], 0
    while i < len(pieces):
        size = rng.choice(timing["tokens_per_chunk"])
        group = "".join(pieces[i : i + size])
        i += size
        if group:
            groups.append(group)
            sizes.append(size)
    deltas = [({"role": "assistant"}, None, 0)]
    deltas += [({"content": g}, None, n) for g, n in zip(groups, sizes, strict=True)]
    deltas.append(({}, why, 0))
    delays = _stream_delays(rng, "huggingface", [n for _, _, n in deltas] + [0, 0])
    ttft_ms = int(1000 * delays[0])
    clock_us = created * 1_000_000 + rng.randint(0, 999_999)
    texts = []
    for (delta, reason, _), delay in zip(deltas, delays, strict=False):
        clock_us += int(delay * 1_000_000)
        choice = {"index": 0, "delta": delta, "finish_reason": reason}
        data = {**head, "choices": [choice], "system_fingerprint": ""}
        data["sla_metrics"] = {"ttft_ms": ttft_ms, "ts_us": clock_us}
        texts.append(_sse(data))
    clock_us += int(delays[-2] * 1_000_000)
    data = {**head, "choices": [], "system_fingerprint": "", "usage": usage}
    data["sla_metrics"] = {"ttft_ms": ttft_ms, "ts_us": clock_us}
    texts.append(_sse(data))
    texts.append(_sse("[DONE]"))
    return None, list(zip(delays, texts, strict=True)), completion


def hf_text_generation(body: dict[str, Any], spec: dict[str, Any]) -> tuple[Any, None, int]:
    params = body.get("parameters") or {}
    answer = _answers(spec)[0]
    text, used, cut = _generate("huggingface", answer, params.get("max_new_tokens"))
    result: dict[str, Any] = {"generated_text": text}
    if params.get("details"):
        result["details"] = {
            "finish_reason": "length" if cut else "eos_token",
            "generated_tokens": used,
            "seed": params.get("seed"),
            "prefill": [],
            "tokens": [],
        }
    return [result], None, used


def hf_model_info(spec: dict[str, Any]) -> Any:
    return spec["model_info"]


def hf_model_list(spec: dict[str, Any]) -> Any:
    """`GET /api/models` (HfApi.list_models): a JSON list, one entry per model; a bare id in
    `models` becomes an entry with only its id."""
    return [entry if isinstance(entry, dict) else {"id": entry} for entry in spec.get("models", [])]


# --- Dispatch ----------------------------------------------------------------------------------


def provider_of(host: str) -> str:
    if "anthropic" in host:
        return "anthropic"
    if "huggingface" in host:
        return "huggingface"
    return "openai"


def _provider(request: dict[str, Any]) -> str:
    # The SDK that sent a request decides its wire format: huggingface_hub pointed at a local
    # server (base_url="http://localhost:8080") still speaks Hugging Face, whatever the host.
    return request.get("provider") or provider_of(request["host"])


def build_response(
    request: dict[str, Any], spec: dict[str, Any], *, today: str = "", earlier: Any = ()
) -> tuple[int, Any, Any, dict[str, str], int]:
    """(status, JSON body or None, SSE events or None, headers, output tokens) for one request.

    ``earlier``: the spec entries of the same lesson sent before this one (prompt caching)."""
    host, path, method = request["host"], request["path"], request["method"].upper()
    body = request.get("body") or {}
    provider = _provider(request)
    rng = _rng(provider, spec.get("name", ""), body)
    created = _authored_created(today or date.today().isoformat(), rng)
    status = int(spec.get("status", 200))
    kind = "json"
    if status >= 400:
        result: tuple[Any, Any, int] = (_error(provider, spec, rng), None, 0)
        kind = "error"
    elif provider == "openai" and path.endswith("/chat/completions"):
        result = openai_chat(body, spec, rng, created, earlier)
    elif provider == "openai" and path.endswith("/responses"):
        result = openai_responses(body, spec, rng, created)
    elif provider == "openai" and method == "GET" and path.endswith("/models"):
        result = (openai_models(spec, created), None, 0)
    elif provider == "anthropic" and path.endswith("/messages/count_tokens"):
        result = ({"input_tokens": anthropic_input_tokens(body)}, None, 0)
        kind = "count_tokens"
    elif provider == "anthropic" and path.endswith("/messages"):
        result = anthropic_message(body, spec, rng, created, earlier)
    elif provider == "anthropic" and method == "GET" and path.endswith("/models"):
        result = (anthropic_models(spec), None, 0)
    elif provider == "huggingface" and path.endswith("/chat/completions"):
        result = hf_chat(request, body, spec, rng, created)
    elif provider == "huggingface" and method == "GET" and path.startswith("/api/models/"):
        result, kind = (hf_model_info(spec), None, 0), "hub"
    elif provider == "huggingface" and method == "GET" and path == "/api/models":
        result, kind = (hf_model_list(spec), None, 0), "hub"
    elif provider == "huggingface" and method == "POST":
        result = hf_text_generation(body, spec)
    else:
        raise SpecError(f"빌더가 모르는 엔드포인트입니다: {method} {host}{path}")
    response_body, events, output_tokens = result
    if events is not None:
        kind = "stream"
    headers = _headers(
        provider,
        kind,
        rng,
        created=created,
        tokens=output_tokens + (_limit(body, "max_completion_tokens", "max_tokens") or 0),
        generation_ms=_generation_ms(provider, output_tokens),
        spec=spec,
    )
    return status, response_body, events, headers, output_tokens


def build_exchange(
    request: dict[str, Any], spec: dict[str, Any], *, today: str = "", earlier: Any = ()
) -> Exchange:
    """The fixture for ``request``; ``earlier`` lists the spec entries of the same lesson sent
    before it, so a prompt extending one of them reports its cached prefix."""
    today = today or date.today().isoformat()
    status, body, events, headers, output_tokens = build_response(
        request, spec, today=today, earlier=earlier
    )
    broken = structured_problems(
        _provider(request), request["path"], request.get("body"), status, body, events
    )
    if broken:
        raise SpecError(
            "요청이 strict JSON 스키마(또는 strict 도구)를 쓰므로 실제 API는 스키마에 맞는 답만 "
            "보냅니다. 이 답변은 맞지 않습니다: " + "; ".join(broken[:5])
        )
    delay = 0.0
    if "timing" in spec:
        if events is not None:
            events = _retime(events, spec["timing"])
        else:
            delay = _json_delay(spec["timing"], _provider(request), output_tokens)
    meta = {
        "authored": today,
        "builder": "helpers.replay.builder",
        "note": (
            "공개된 실제 응답 기록에서 알아낸 형식(wire profile)에 맞춰 사람이 작성한 "
            "응답입니다. 실제 API가 보낸 응답이 아닙니다."
        ),
    }
    return Exchange(
        name=spec.get("name", "exchange"),
        provider=_provider(request),
        origin="authored",
        method=request["method"].upper(),
        host=request["host"],
        path=request["path"],
        query=request.get("query", ""),
        body=request.get("body"),
        status=status,
        headers=headers,
        response_body=body,
        events=events,
        meta=meta,
        delay=delay,
    )
