"""Lab 09-cache: Anthropic ``cache_control`` breakpoints so the next turn reads the cached prefix.

The learner's request goes through the real ``Anthropic`` client on an ``httpx2.MockTransport``,
so the grader judges the JSON the SDK sends. Cache hits are computed by the replay builder's rule
(``helpers.replay.builder.anthropic_cache_usage``: prefix order tools → system → messages, one
entry written per breakpoint whose prefix reaches the model's minimum, a 20-block lookback, at most
4 breakpoints; sources in helpers/data/wire_profiles.json ``anthropic.tokens.prompt_caching``), the
same rule the lesson's fixtures follow.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ... import catalog
from ...replay import builder
from .. import Feedback, check_signature, register, run_learner
from ..sdk_wire import sent_body

__all__ = ["SUPPORT_MANUAL", "SUPPORT_TOOLS", "show_cache_plan", "support_request"]

_TOPICS = [
    (
        "환불",
        "구매 후 7일 안에 신청하면 전액 돌려드립니다. 사용한 쿠폰은 유효 기간이 남아 있을 때만 되살립니다",
    ),
    (
        "교환",
        "같은 상품의 다른 색상이나 크기로 한 번 바꿀 수 있습니다. 왕복 배송비는 고객 변심이면 고객이 냅니다",
    ),
    (
        "배송",
        "평일 오후 2시 전 주문은 그날 출고합니다. 도서 산간 지역은 하루에서 이틀 더 걸릴 수 있습니다",
    ),
    (
        "회원 등급",
        "최근 3개월 구매 금액으로 매달 1일에 정합니다. 등급이 내려가도 이미 받은 쿠폰은 그대로 씁니다",
    ),
    ("포인트", "결제 금액의 1%를 적립하고, 구매를 취소하면 적립 예정 포인트도 함께 사라집니다"),
    (
        "결제 오류",
        "카드 승인 후 주문이 만들어지지 않았다면 30분 안에 자동으로 취소되고, 그 뒤에도 남아 있으면 결제 번호를 받아 확인합니다",
    ),
    (
        "개인정보",
        "상담 중에 카드 번호 전체나 비밀번호를 묻지 않습니다. 고객이 먼저 적으면 그 부분을 다시 말하지 말라고 안내합니다",
    ),
    (
        "불만 접수",
        "고객의 말을 끊지 않고 끝까지 들은 뒤 요점을 한 문장으로 되짚고, 처리 기한을 날짜 대신 영업일 수로 알립니다",
    ),
]
_RULES = [
    "먼저 고객이 무엇을 원하는지 한 문장으로 확인합니다",
    "주문 번호가 필요하면 `lookup_order` 도구로 조회하고, 조회 결과에 없는 내용은 추측하지 않습니다",
    "규정의 예외가 필요해 보이면 `open_ticket` 도구로 담당 부서에 넘기고 고객에게 접수 번호를 알립니다",
    "답은 합니다체로, 세 문장 안에서 끝내고, 다음에 고객이 할 일을 마지막에 적습니다",
    "고객이 화가 나 있으면 사과를 먼저 하되, 회사 과실이 확인되기 전에는 보상을 약속하지 않습니다",
    "같은 질문이 반복되면 앞의 답을 되풀이하지 말고 다른 말로 더 짧게 설명합니다",
]


def _manual() -> str:
    parts = [
        "# 고객 상담 매뉴얼\n\n당신은 온라인 쇼핑몰의 고객 상담원입니다. 아래 규정과 응대 원칙을 지켜 답합니다.\n"
    ]
    for n, (topic, policy) in enumerate(_TOPICS, 1):
        parts.append(f"\n## {n}. {topic}\n\n규정: {policy}.\n")
        for k, rule in enumerate(_RULES, 1):
            parts.append(f"- {topic} 응대 {k}: {rule}. ({topic} 문의에서도 마찬가지입니다.)\n")
        parts.append(
            f"- {topic} 예시: 고객이 '{topic} 관련해서 문의드려요'라고만 하면, 어떤 주문에 관한 "
            "것인지 주문 번호를 먼저 여쭙니다.\n"
        )
    return "".join(parts)


SUPPORT_MANUAL = _manual()

SUPPORT_TOOLS: list[dict[str, Any]] = [
    {
        "name": "lookup_order",
        "description": "주문 번호로 주문 상태, 결제 금액, 배송 현황을 조회합니다.",
        "input_schema": {
            "type": "object",
            "properties": {"order_id": {"type": "string", "description": "주문 번호"}},
            "required": ["order_id"],
        },
    },
    {
        "name": "open_ticket",
        "description": "규정 밖의 요청을 담당 부서에 넘기고 접수 번호를 돌려줍니다.",
        "input_schema": {
            "type": "object",
            "properties": {"summary": {"type": "string", "description": "요청 요약"}},
            "required": ["summary"],
        },
    },
]

_TURNS = [
    (
        "지난주에 산 운동화를 환불하고 싶어요.",
        "환불을 도와드리겠습니다. 주문 번호를 알려 주시겠습니까?",
    ),
    (
        "주문 번호는 A-1042예요. 쿠폰도 돌려받나요?",
        "쿠폰은 유효 기간이 남아 있으면 되살려 드립니다.",
    ),
    ("그럼 포인트는요?", ""),
]
_NOTES = [
    "현재 상황: 대기 고객 12명, 담당 상담원 김하늘",
    "현재 상황: 대기 고객 9명, 담당 상담원 김하늘",
    "현재 상황: 대기 고객 15명, 담당 상담원 이도윤",
]
NOTE_INDEX = 1  # system[1] is the note that changes every turn


def support_request(turn: int) -> dict[str, Any]:
    """The ``client.messages.create(**kwargs)`` kwargs of the support chat at ``turn`` (1–3)."""
    if turn not in (1, 2, 3):
        raise ValueError(f"turn은 1, 2, 3 중 하나입니다. 받은 값: {turn!r}")
    messages: list[dict[str, Any]] = []
    for n, (question, reply) in enumerate(_TURNS[:turn], 1):
        messages.append({"role": "user", "content": question})
        if n < turn:
            messages.append({"role": "assistant", "content": reply})
    return {
        "model": catalog.default_model("anthropic"),
        "max_tokens": 512,
        "tools": copy.deepcopy(SUPPORT_TOOLS),
        "system": [
            {"type": "text", "text": SUPPORT_MANUAL},
            {"type": "text", "text": _NOTES[turn - 1]},
        ],
        "messages": messages,
    }


def _reply(model: str) -> dict[str, Any]:
    return {
        "id": "msg_01Lab09CacheLab09CacheLab",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": "네, 확인해 보겠습니다."}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 8},
    }


def sent_request(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body the real Anthropic client sends for ``messages.create(**kwargs)``."""
    return sent_body(
        "anthropic",
        _reply(str(kwargs.get("model"))),
        lambda client: client.messages.create(**kwargs),
    )


# --- reading the breakpoints ---------------------------------------------------------------------


def _blocks(content: Any) -> list[Any]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return list(content) if isinstance(content, list) else []


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "cache_control"}
    return value


def _content_view(body: Mapping[str, Any]) -> dict[str, Any]:
    """The request without its cache markers, string contents as text blocks: what must stay."""
    return {
        "model": body.get("model"),
        "max_tokens": body.get("max_tokens"),
        "tools": _plain(body.get("tools") or []),
        "system": _plain(_blocks(body.get("system"))),
        "messages": [
            {"role": m.get("role"), "content": _plain(_blocks(m.get("content")))}
            for m in body.get("messages") or []
            if isinstance(m, dict)
        ],
        "other": {
            k: v
            for k, v in body.items()
            if k not in ("model", "max_tokens", "tools", "system", "messages", "cache_control")
        },
    }


def _breakpoints(body: Mapping[str, Any]) -> list[tuple[str, tuple, Any]]:
    """(where, position, cache_control) of every breakpoint, in prompt order; position is
    ("tools", i) / ("system", i) / ("messages", n, k) / ("top",)."""
    found: list[tuple[str, tuple, Any]] = []
    for i, tool in enumerate(body.get("tools") or []):
        if isinstance(tool, dict) and "cache_control" in tool:
            found.append((f"tools[{i}]", ("tools", i), tool["cache_control"]))
    for i, block in enumerate(_blocks(body.get("system"))):
        if isinstance(block, dict) and "cache_control" in block:
            found.append((f"system[{i}]", ("system", i), block["cache_control"]))
    for n, message in enumerate(body.get("messages") or []):
        for k, block in enumerate(_blocks(message.get("content"))):
            if isinstance(block, dict) and "cache_control" in block:
                where = f"messages[{n}].content[{k}]"
                found.append((where, ("messages", n, k), block["cache_control"]))
    if body.get("cache_control") is not None:
        found.append(("요청 최상위 `cache_control`(자동 캐싱)", ("top",), body["cache_control"]))
    return found


def _cache_like_keys(value: Any) -> list[str]:
    """Keys that look like a misspelt ``cache_control`` anywhere in the request."""
    if isinstance(value, list):
        return [k for item in value for k in _cache_like_keys(item)]
    if isinstance(value, dict):
        own = [k for k in value if "cache" in str(k).lower() and k != "cache_control"]
        return own + [k for v in value.values() for k in _cache_like_keys(v)]
    return []


def _mark_problem(mark: Any) -> str | None:
    if not isinstance(mark, dict) or mark.get("type") != "ephemeral":
        return f'`{mark!r}`는 API가 받는 값이 아닙니다. 타입은 `"ephemeral"`뿐입니다'
    unknown = [k for k in mark if k not in ("type", "ttl")]
    if unknown:
        return f"`cache_control`에 모르는 키가 있습니다: {', '.join(map(repr, unknown))}"
    if mark.get("ttl", "5m") not in ("5m", "1h"):
        return f'`ttl`은 `"5m"`이나 `"1h"`입니다(받은 값: {mark.get("ttl")!r})'
    return None


def _after_note(position: tuple) -> bool:
    return position[0] in ("messages", "top") or (
        position[0] == "system" and position[1] >= NOTE_INDEX
    )


def _prefix_tokens(body: Mapping[str, Any], position: tuple) -> int:
    """Tokens of the prefix ending at the breakpoint, as the builder counts cache writes."""
    # The builder's block layout is the one its cache counts use; reading it keeps the number
    # shown here equal to the cache_creation_input_tokens the fixtures report.
    _, _, tokens, total = builder.anthropic_prefixes(dict(body))
    n_tools = len(body.get("tools") or [])
    n_system = len(_blocks(body.get("system")))
    if position[0] == "tools":
        index = position[1]
    elif position[0] == "system":
        index = n_tools + position[1]
    elif position[0] == "messages":
        index = n_tools + n_system
        for n, message in enumerate(body.get("messages") or []):
            parts = [p for p in _blocks(message.get("content")) if isinstance(p, dict)]
            if n == position[1]:
                index += position[2]
                break
            index += len(parts)
    else:
        return total
    return tokens[index] if 0 <= index < len(tokens) else total


def cache_usages(bodies: list[dict[str, Any]]) -> list[dict[str, int]]:
    """The builder's cache counts for each body, sent in this order to ``/v1/messages``."""
    sent = [{"provider": "anthropic", "path": "/v1/messages", "body": body} for body in bodies]
    return [builder.anthropic_cache_usage(body, sent[:n]) for n, body in enumerate(bodies)]


def _max_breakpoints() -> int:
    rule = builder.load_profiles()["anthropic"]["tokens"]["prompt_caching"]
    return int(rule["max_breakpoints"])


# --- grading --------------------------------------------------------------------------------------


def _learner_turn(fb: Feedback, func: Any, turn: int) -> dict[str, Any] | None:
    given = support_request(turn)
    result = run_learner(func, given, what=f"add_cache_control(support_request({turn}))")
    if result is None:
        fb.fail(
            "`add_cache_control(...)`이 `None`을 돌려줍니다.",
            hint="고친 요청 dict를 `return request`로 돌려주세요.",
        )
        return None
    if not isinstance(result, Mapping):
        fb.fail(
            f"돌려준 값이 요청 인자 dict가 아닙니다({type(result).__name__}).",
            hint="`client.messages.create(**request)`에 넘길 dict를 돌려주세요.",
        )
        return None
    for where, _, mark in _breakpoints(result):
        problem = _mark_problem(mark)
        if problem:
            fb.fail(
                f"{turn}번째 요청의 {where}: {problem}. API는 이 요청을 400으로 거절합니다.",
                hint='`"cache_control": {"type": "ephemeral"}`(원하면 `"ttl": "1h"`)로 쓰세요.',
            )
            return None
    try:
        sent = sent_request(result)
    except Exception as exc:  # noqa: BLE001 - the SDK refusing the kwargs is the finding
        fb.fail(
            f"{turn}번째 요청을 SDK가 보내지 못했습니다: `{type(exc).__name__}: {exc}`",
            hint="내용은 그대로 두고 블록에 `cache_control` 키만 더하세요.",
        )
        return None
    if _content_view(sent) != _content_view(sent_request(support_request(turn))):
        before, after = _content_view(sent_request(support_request(turn))), _content_view(sent)
        changed = [k for k in before if before[k] != after[k]]
        misspelt = sorted(set(_cache_like_keys(after)) - set(_cache_like_keys(before)))
        fb.fail(
            f"{turn}번째 요청의 내용이 바뀌었습니다(바뀐 부분: {', '.join(changed)}).",
            hint=f"{', '.join(f'`{k}`' for k in misspelt)}라는 키는 API가 모릅니다. 키 이름은 "
            "`cache_control`입니다."
            if misspelt
            else "캐시를 위해 프롬프트를 고치면 모델이 받는 내용이 달라집니다. 메모를 옮기거나 "
            "지우지 말고 `cache_control`만 더하세요.",
        )
        return None
    count = len(_breakpoints(sent))
    # The API's 400 for a fifth marker, quoted as a real answer in tghamm/Anthropic.SDK#50.
    if count > _max_breakpoints():
        fb.fail(
            f"{turn}번째 요청의 중단점이 {count}개입니다. 한 요청에는 {_max_breakpoints()}개까지 "
            "둘 수 있고, 더 많으면 API가 400(`A maximum of 4 blocks with cache_control may be "
            "provided.`)으로 거절합니다.",
            hint="매번 같은 앞부분이 끝나는 곳 한 군데면 충분합니다.",
        )
        return None
    return sent


def _no_read_cause(sent: dict[str, Any]) -> tuple[str, str]:
    minimum = builder.anthropic_cache_minimum(sent.get("model"))
    causes = []
    for where, position, _ in _breakpoints(sent):
        if _after_note(position):
            causes.append(
                f"{where}: 이 중단점까지의 앞부분에는 매번 바뀌는 메모(`system[{NOTE_INDEX}]`, "
                f"{_NOTES[0]!r} → {_NOTES[1]!r})가 들어 있어 다음 요청과 같을 수 없습니다."
            )
        else:
            tokens = _prefix_tokens(sent, position)
            causes.append(
                f"{where}: 이 중단점까지의 앞부분은 약 {tokens:,} 토큰으로, 모델 "
                f"{sent.get('model')}의 최소 캐시 길이 {minimum:,} 토큰보다 짧아 캐시에 쓰이지 "
                "않습니다."
            )
    return (
        " ".join(causes),
        "매번 똑같고 충분히 긴 앞부분은 도구와 매뉴얼까지입니다. 메모 바로 앞, 매뉴얼 블록"
        '(`request["system"][0]`)에 `"cache_control": {"type": "ephemeral"}`을 더하세요.',
    )


@register("09-cache", "대화가 앞부분을 다시 쓰도록 캐시 중단점 놓기")
def _check_cache(answer: Any, fb: Feedback) -> None:
    usage = "def add_cache_control(request)"
    if check_signature(fb, answer, "add_cache_control", ["request"], usage) is None:
        return
    sent = []
    for turn in (1, 2, 3):
        body = _learner_turn(fb, answer, turn)
        if body is None:
            return
        sent.append(body)
    if not _breakpoints(sent[0]):
        fb.fail(
            "`cache_control` 중단점이 하나도 없습니다. 표시가 없으면 Anthropic은 아무것도 캐시하지 "
            "않습니다.",
            hint='캐시할 앞부분이 끝나는 블록에 `"cache_control": {"type": "ephemeral"}`을 더하세요.',
        )
        return
    fb.ok(
        "세 요청 모두 진짜 Anthropic SDK가 보내는 요청이고, 내용은 그대로 두고 `cache_control`만 "
        f"더했으며 중단점은 {_max_breakpoints()}개 이하입니다."
    )
    usages = cache_usages(sent)
    for turn in (2, 3):
        if usages[turn - 1]["cache_read_input_tokens"] == 0:
            failure, hint = _no_read_cause(sent[turn - 2])
            fb.fail(
                f"{turn}번째 요청이 앞 요청이 캐시에 쓴 앞부분을 읽지 못합니다"
                f"(`cache_read_input_tokens` 0). {failure}",
                hint=hint,
            )
            return
    read = usages[1]["cache_read_input_tokens"]
    fb.ok(
        f"첫 요청이 앞부분 {usages[0]['cache_creation_input_tokens']:,} 토큰을 캐시에 쓰고, 둘째·셋째 "
        f"요청은 {read:,} 토큰을 캐시에서 읽습니다(`cache_read_input_tokens`)."
    )
    wasted = [where for where, position, _ in _breakpoints(sent[0]) if _after_note(position)]
    if wasted:
        fb.info(
            f"{', '.join(wasted)}의 중단점은 매번 바뀌는 메모 블록이나 그 뒤에 있어 다음 요청이 "
            "읽지 못하고, "
            "요청마다 캐시 쓰기 요금(입력 단가보다 비쌈)만 더 냅니다."
        )


def show_cache_plan(add_cache_control: Any) -> None:
    """Print, per turn, each breakpoint's prefix and the cache counts the rule gives."""
    sent = []
    for turn in (1, 2, 3):
        try:
            result = add_cache_control(support_request(turn))
            body = sent_request(result)
        except Exception as exc:  # noqa: BLE001 - a learner's cell shows the cause, not a traceback
            print(f"{turn}번째 요청을 만들지 못했습니다: {type(exc).__name__}: {exc}")
            return
        sent.append(body)
        try:
            usage = cache_usages(sent)[-1]
        except Exception as exc:  # noqa: BLE001 - e.g. more than 4 breakpoints
            print(f"{turn}번째 요청은 API가 거절합니다: {exc}")
            return
        marks = ", ".join(
            f"{where}(앞부분 약 {_prefix_tokens(body, position):,} 토큰)"
            for where, position, _ in _breakpoints(body)
        )
        print(f"--- {turn}번째 요청: 중단점 {marks or '없음'}")
        print(
            f"    캐시 쓰기 {usage['cache_creation_input_tokens']:,} · 캐시 읽기 "
            f"{usage['cache_read_input_tokens']:,} · 나머지 입력 {usage['input_tokens']:,} 토큰"
        )
