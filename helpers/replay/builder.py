"""Authoring fixtures without typing wire JSON by hand.

`build_exchange(request, spec)` takes a request exactly as an SDK sent it (captured by running the
notebook against the replay server) and a short spec — the answer text, optionally usage, a finish
reason or an error — and returns the response each API would send: ids, timestamps, finish and
stop reasons, usage, and for streams the SSE events chunked at token-like boundaries with
plausible timing. Everything is deterministic, so rebuilding gives identical files.
"""

from __future__ import annotations

import hashlib
import json
import random
import string
from datetime import date
from typing import Any

from .fixture import Exchange
from .tokens import estimate_tokens, pieces

AUTHORED_CREATED = 1764115200  # 2025-11-26T00:00:00Z, a fixed "created" for authored answers
_B62 = string.ascii_letters + string.digits


class SpecError(ValueError):
    """A fixture spec the builder cannot turn into a response (Korean message)."""


def _rng(*parts: Any) -> random.Random:
    digest = hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode())
    return random.Random(digest.hexdigest())


def _ident(rng: random.Random, prefix: str, length: int) -> str:
    return prefix + "".join(rng.choice(_B62) for _ in range(length))


def _sse(data: Any, event: str | None = None) -> str:
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n"


def _timed(rng: random.Random, texts: list[str], first: tuple[float, float]) -> list:
    events = []
    for i, text in enumerate(texts):
        delay = rng.uniform(*first) if i == 0 else rng.uniform(0.012, 0.045)
        events.append((round(delay, 4), text))
    return events


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


def _json_delay(timing: Any) -> float:
    """A JSON answer arrives whole, `total` seconds after the request (at replay speed 1)."""
    if not isinstance(timing, dict) or set(timing) != {"total"}:
        raise SpecError(
            "JSON 응답의 timing은 {total: 초}만 받습니다. first_token은 스트림 응답"
            "(stream: true)에만 쓸 수 있습니다."
        )
    return _seconds(timing, "total") or 0.0


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
        if isinstance(body.get(name), int):
            return body[name]
    return None


def _cut(text: str, limit: int | None, reason: str, length_reason: str) -> tuple[str, str]:
    """Truncate an answer at the output limit, as the API does, and say why it stopped."""
    parts = pieces(text)
    if limit is not None and len(parts) > limit:
        return "".join(parts[:limit]), length_reason
    return text, reason


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content
        )
    return ""


def _prompt_tokens(body: dict[str, Any]) -> int:
    total = 3
    for message in body.get("messages", []) or []:
        total += 4 + estimate_tokens(_text_of(message.get("content")))
    for name in ("system", "instructions", "prompt", "inputs"):
        if name in body:
            total += 4 + estimate_tokens(_text_of(body[name]))
    if "input" in body:
        given = body["input"]
        if isinstance(given, str):
            total += 4 + estimate_tokens(given)
        else:
            for item in given:
                total += 4 + estimate_tokens(_text_of(item.get("content")))
    return total


def _error(provider: str, status: int, spec: dict[str, Any]) -> Any:
    err = spec.get("error", {})
    message = err.get("message", "error")
    if provider == "anthropic":
        kind = err.get("type", "api_error")
        rng = _rng("anthropic-error", message)  # one generator, or every character is the same
        return {
            "type": "error",
            "error": {"type": kind, "message": message},
            "request_id": "req_" + "".join(rng.choice(_B62) for _ in range(24)),
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


def openai_chat(body: dict[str, Any], spec: dict[str, Any], seed: str) -> tuple[Any, list | None]:
    rng = _rng("openai-chat", seed, body)
    model = spec.get("response_model", body.get("model"))
    limit = _limit(body, "max_completion_tokens", "max_tokens")
    reason = spec.get("finish_reason", "stop")
    choices = [_cut(a, limit, reason, "length") for a in _answers(spec)]
    prompt = spec.get("usage", {}).get("input", _prompt_tokens(body))
    completion = spec.get("usage", {}).get(
        "output", sum(estimate_tokens(text) for text, _ in choices)
    )
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": spec.get("usage", {}).get("reasoning", 0),
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    ident = _ident(rng, "chatcmpl-", 29)
    fingerprint = spec.get("system_fingerprint", "fp_" + format(rng.getrandbits(40), "010x"))
    head = {
        "id": ident,
        "object": "chat.completion",
        "created": spec.get("created", AUTHORED_CREATED),
        "model": model,
    }
    if not body.get("stream"):
        return {
            **head,
            "choices": [
                {
                    "index": i,
                    "message": {
                        "role": "assistant",
                        "content": text,
                        "refusal": None,
                        "annotations": [],
                    },
                    "logprobs": None,
                    "finish_reason": why,
                }
                for i, (text, why) in enumerate(choices)
            ],
            "usage": usage,
            "service_tier": "default",
            "system_fingerprint": fingerprint,
        }, None
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    head = {**head, "object": "chat.completion.chunk", "service_tier": "default"}
    head["system_fingerprint"] = fingerprint

    def chunk(choice_list: list, usage_value: Any = None) -> str:
        data = {**head, "choices": choice_list}
        if include_usage:
            data["usage"] = usage_value
        data["obfuscation"] = "".join(rng.choice(_B62) for _ in range(rng.randint(2, 12)))
        return _sse(data)

    texts = []
    for i, (text, why) in enumerate(choices):
        delta = {"role": "assistant", "content": "", "refusal": None}
        texts.append(chunk([{"index": i, "delta": delta, "logprobs": None, "finish_reason": None}]))
        for piece in pieces(text):
            item = {"index": i, "delta": {"content": piece}, "logprobs": None}
            texts.append(chunk([{**item, "finish_reason": None}]))
        texts.append(chunk([{"index": i, "delta": {}, "logprobs": None, "finish_reason": why}]))
    if include_usage:
        texts.append(chunk([], usage))
    texts.append(_sse("[DONE]"))
    return None, _timed(rng, texts, (0.25, 0.6))


def openai_responses(body: dict[str, Any], spec: dict[str, Any], seed: str) -> tuple[Any, None]:
    if body.get("stream"):
        raise SpecError("Responses API 스트림은 아직 빌더가 지원하지 않습니다.")
    rng = _rng("openai-responses", seed, body)
    limit = _limit(body, "max_output_tokens")
    text, _ = _cut(_answers(spec)[0], limit, "stop", "length")
    truncated = text != _answers(spec)[0]
    prompt = spec.get("usage", {}).get("input", _prompt_tokens(body))
    output = spec.get("usage", {}).get("output", estimate_tokens(text))
    created = spec.get("created", AUTHORED_CREATED)
    return {
        "id": _ident(rng, "resp_", 48),
        "object": "response",
        "created_at": created,
        "status": "incomplete" if truncated else "completed",
        "background": False,
        "completed_at": None if truncated else created + 2,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if truncated else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": None,
        "model": spec.get("response_model", body.get("model")),
        "output": [
            {
                "id": _ident(rng, "msg_", 48),
                "type": "message",
                "status": "incomplete" if truncated else "completed",
                "content": [
                    {"type": "output_text", "annotations": [], "logprobs": [], "text": text}
                ],
                "role": "assistant",
            }
        ],
        "parallel_tool_calls": True,
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": None,
        "reasoning": {"effort": None, "summary": None},
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
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": output,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt + output,
        },
        "user": None,
        "metadata": {},
    }, None


def openai_models(spec: dict[str, Any]) -> Any:
    owners = spec.get("owned_by", "system")
    return {
        "object": "list",
        "data": [
            {"id": model, "object": "model", "created": AUTHORED_CREATED, "owned_by": owners}
            for model in spec.get("models", [])
        ],
    }


# --- Anthropic ---------------------------------------------------------------------------------


def anthropic_message(body: dict[str, Any], spec: dict[str, Any], seed: str) -> tuple[Any, Any]:
    rng = _rng("anthropic-message", seed, body)
    text, stop_reason = _cut(
        _answers(spec)[0], body.get("max_tokens"), spec.get("stop_reason", "end_turn"), "max_tokens"
    )
    usage_spec = spec.get("usage", {})
    input_tokens = usage_spec.get("input", _prompt_tokens(body) + 5)
    output_tokens = usage_spec.get("output", estimate_tokens(text))
    ident = _ident(rng, "msg_01", 22)
    model = spec.get("response_model", body.get("model"))
    usage = {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }
    if not body.get("stream"):
        return {
            "id": ident,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }, None
    start = {
        "type": "message_start",
        "message": {
            "id": ident,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {**usage, "output_tokens": 1},
        },
    }
    block = {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "text", "text": ""},
    }
    texts = [_sse(start, "message_start"), _sse(block, "content_block_start")]
    texts.append(_sse({"type": "ping"}, "ping"))
    for piece in pieces(text):
        delta = {"type": "content_block_delta", "index": 0}
        delta["delta"] = {"type": "text_delta", "text": piece}
        texts.append(_sse(delta, "content_block_delta"))
    texts.append(_sse({"type": "content_block_stop", "index": 0}, "content_block_stop"))
    end = {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": None},
        "usage": {"output_tokens": output_tokens},
    }
    texts += [_sse(end, "message_delta"), _sse({"type": "message_stop"}, "message_stop")]
    return None, _timed(rng, texts, (0.4, 0.9))


def anthropic_models(spec: dict[str, Any]) -> Any:
    """`models: {id: display_name}` (or a list of ids). A value may also be a dict of fields
    (`display_name`, `lifecycle`, `retires_at`, ...) that override the defaults below."""
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
            "created_at": "2025-11-26T00:00:00Z",
            # anthropic 2.x requires it: "active", "deprecated" or "retired"
            "lifecycle": "active",
        }
        data.append({**entry, **fields})
    return {
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


# --- Hugging Face ------------------------------------------------------------------------------


def hf_chat(body: dict[str, Any], spec: dict[str, Any], seed: str) -> tuple[Any, Any]:
    """The router speaks the OpenAI chat format, without OpenAI-only fields."""
    rng = _rng("hf-chat", seed, body)
    limit = _limit(body, "max_tokens")
    text, why = _cut(_answers(spec)[0], limit, spec.get("finish_reason", "stop"), "length")
    prompt = spec.get("usage", {}).get("input", _prompt_tokens(body))
    completion = spec.get("usage", {}).get("output", estimate_tokens(text))
    usage = {"prompt_tokens": prompt, "completion_tokens": completion}
    usage["total_tokens"] = prompt + completion
    head = {
        "id": _ident(rng, "", 32).lower(),
        "created": spec.get("created", AUTHORED_CREATED),
        "model": spec.get("response_model", body.get("model")),
    }
    if not body.get("stream"):
        message = {"role": "assistant", "content": text, "tool_calls": []}
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": why}
        return {**head, "object": "chat.completion", "choices": [choice], "usage": usage}, None
    head["object"] = "chat.completion.chunk"
    texts = []
    for piece in pieces(text):
        delta = {"role": "assistant", "content": piece}
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}
        texts.append(_sse({**head, "choices": [choice], "usage": None}))
    last = {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": why}
    texts.append(_sse({**head, "choices": [{**last, "logprobs": None}], "usage": usage}))
    texts.append(_sse("[DONE]"))
    return None, _timed(rng, texts, (0.3, 0.8))


def hf_text_generation(body: dict[str, Any], spec: dict[str, Any], seed: str) -> tuple[Any, None]:
    params = body.get("parameters") or {}
    text, why = _cut(_answers(spec)[0], params.get("max_new_tokens"), "eos_token", "length")
    result: dict[str, Any] = {"generated_text": text}
    if params.get("details"):
        result["details"] = {
            "finish_reason": why,
            "generated_tokens": estimate_tokens(text),
            "seed": params.get("seed"),
            "prefill": [],
            "tokens": [],
        }
    return [result], None


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


def build_response(request: dict[str, Any], spec: dict[str, Any]) -> tuple[int, Any, Any]:
    """(status, JSON body or None, SSE events or None) for one captured request."""
    host, path, method = request["host"], request["path"], request["method"].upper()
    body = request.get("body") or {}
    provider = _provider(request)
    seed = spec.get("name", "")
    status = int(spec.get("status", 200))
    if status >= 400:
        return status, _error(provider, status, spec), None
    if provider == "openai":
        if path.endswith("/chat/completions"):
            return (status, *openai_chat(body, spec, seed))
        if path.endswith("/responses"):
            return (status, *openai_responses(body, spec, seed))
        if method == "GET" and path.endswith("/models"):
            return status, openai_models(spec), None
    elif provider == "anthropic":
        if path.endswith("/messages/count_tokens"):
            count = spec.get("usage", {}).get("input", _prompt_tokens(body) + 5)
            return status, {"input_tokens": count}, None
        if path.endswith("/messages"):
            return (status, *anthropic_message(body, spec, seed))
        if method == "GET" and path.endswith("/models"):
            return status, anthropic_models(spec), None
    else:
        if path.endswith("/chat/completions"):
            return (status, *hf_chat(body, spec, seed))
        if method == "GET" and path.startswith("/api/models/"):
            return status, hf_model_info(spec), None
        if method == "GET" and path == "/api/models":
            return status, hf_model_list(spec), None
        if method == "POST":
            return (status, *hf_text_generation(body, spec, seed))
    raise SpecError(f"빌더가 모르는 엔드포인트입니다: {method} {host}{path}")


def _headers(provider: str, status: int, stream: bool, spec: dict[str, Any]) -> dict[str, str]:
    headers = {"content-type": "text/event-stream" if stream else "application/json"}
    if stream and provider == "openai":
        headers["content-type"] = "text/event-stream; charset=utf-8"
    headers.update({k.lower(): str(v) for k, v in spec.get("headers", {}).items()})
    return headers


def build_exchange(request: dict[str, Any], spec: dict[str, Any], *, today: str = "") -> Exchange:
    status, body, events = build_response(request, spec)
    delay = 0.0
    if "timing" in spec:
        if events is not None:
            events = _retime(events, spec["timing"])
        else:
            delay = _json_delay(spec["timing"])
    provider = _provider(request)
    meta = {
        "authored": today or date.today().isoformat(),
        "builder": "helpers.replay.builder",
        "note": "API 형식에 맞춰 작성한 응답입니다. 실제 서비스에서 녹화한 것이 아닙니다.",
    }
    return Exchange(
        name=spec.get("name", "exchange"),
        provider=provider,
        origin="authored",
        method=request["method"].upper(),
        host=request["host"],
        path=request["path"],
        query=request.get("query", ""),
        body=request.get("body"),
        status=status,
        headers=_headers(provider, status, events is not None, spec),
        response_body=body,
        events=events,
        meta=meta,
        delay=delay,
    )
