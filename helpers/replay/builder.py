"""Authoring fixtures without typing wire JSON by hand.

`build_exchange(request, spec)` takes a request exactly as an SDK sent it (captured by running the
notebook against the replay server) and a short spec — the answer text, optionally a finish
reason or an error — and returns the response the provider would send. Everything that is not
the answer text comes from the provider's wire profile (``helpers/data/wire_profiles.json``,
derived from public recordings): key order, ids, headers, SSE framing, the served model name,
usage counted by the provider's tokenizer rule, answers cut at the output limit by that count,
stream chunks at token boundaries and timing from published measurements. The result is
deterministic, so rebuilding gives identical files.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from datetime import UTC, date, datetime
from typing import Any

from .fixture import Exchange
from .profiles import ALPHABETS, header_rules, load_profiles, new_id
from .tokens import tokenizer_for


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
    """The spec's ``tool_calls``: ``[{name, arguments: {...}}]`` (arguments as a JSON object)."""
    calls = spec.get("tool_calls") or []
    for call in calls:
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            raise SpecError("tool_calls의 각 항목에는 name(도구 이름)이 있어야 합니다.")
        if not isinstance(call.get("arguments", {}), dict):
            raise SpecError("tool_calls의 arguments는 JSON 객체(dict)여야 합니다.")
    return calls


def _arguments(call: dict[str, Any]) -> str:
    # OpenAI and HF send arguments as a JSON string (SDK types: `arguments: str`).
    return _compact(call.get("arguments", {}))


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


def _tool_prompt_tokens(provider: str, body: dict[str, Any]) -> float:
    """Prompt tokens that tool use adds (0 for a body without tools): by the profile's
    ``tokens.tools`` assumption, the compact JSON of ``tools``, ``tool_choice`` and
    ``response_format`` / ``output_format``, the tool calls and results in the conversation,
    and (Anthropic) the documented tool-use system prompt."""
    rule = _profile(provider)["tokens"]["tools"]
    tokenizer = tokenizer_for(provider)
    total: float = 0
    for name in ("tools", "tool_choice", "response_format", "output_format"):
        if body.get(name) is not None:
            total += tokenizer.count(_compact(body[name]))
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
    reason = spec.get("finish_reason", "tool_calls" if calls else "stop")
    choices, completion = [], 0
    if calls and "answer" not in spec:
        # a tool-only answer: no text (content null), the calls' tokens plus the fixed overhead
        choices.append((None, reason))
        completion += _generate("openai", "", None, reasoning=reasoning)[1]
    else:
        for answer in _answers(spec):
            text, used, cut = _generate("openai", answer, limit, reasoning=reasoning)
            choices.append((text, "length" if cut else reason))
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
                    {"index": i, "message": {**message, "content": text}, "finish_reason": why}
                    for i, (text, why) in enumerate(choices)
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
    for i, (text, why) in enumerate(choices):
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
    limit = _limit(body, "max_output_tokens")
    text, output, truncated = _generate("openai", _answers(spec)[0], limit)
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
                    "content": [
                        {"type": "output_text", "annotations": [], "logprobs": [], "text": text}
                    ],
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
            "text": {"format": {"type": "text"}, "verbosity": "medium"},
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
    body: dict[str, Any], spec: dict[str, Any], rng: random.Random, created: int
) -> tuple[Any, Any, int]:
    profile = _profile("anthropic")
    calls = _tool_calls(spec)
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
    input_tokens = anthropic_input_tokens(body)
    model = spec.get("response_model", body.get("model"))
    geo = profile["inference_geo"]
    usage = {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
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
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
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
        result = anthropic_message(body, spec, rng, created)
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
