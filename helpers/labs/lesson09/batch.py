"""Labs 09-batch-jsonl (the Batch API input file) and 09-batch-match (results back by custom_id).

Line shapes follow helpers/replay/batches.py, which records their public sources: an output line is
``{"id": "batch_req_…", "custom_id", "response": {"status_code", "request_id", "body"}, "error":
null}`` (OpenAI Batch API guide); a failed request's error-file line keeps the API's error under
``response.body`` with ``error: null`` (openai/openai-openapi#302); an expired request's line has
``response: null`` and ``error: {"code": "batch_expired", ...}``. Results are not in input order.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ... import catalog
from .. import Feedback, LearnerError, check_signature, register, run_learner
from ..sdk_wire import sent_body

__all__ = ["BATCH_URL", "SAMPLE_QUESTIONS", "sample_batch_files"]

BATCH_URL = "/v1/chat/completions"

# Two people may ask the same thing: an id made from the question text collides.
SAMPLE_QUESTIONS = [
    "환불은 며칠 안에 신청할 수 있나요?",
    "배송 조회는 어디서 하나요?",
    "환불은 며칠 안에 신청할 수 있나요?",
    "회원 등급은 어떻게 올라가나요?",
    "구매를 취소하면 포인트도 돌려받나요?",
]

_OTHER_QUESTIONS = ["비밀번호를 잊어버렸어요.", "영수증을 다시 받을 수 있나요?"]


def _other_model() -> str:
    default = catalog.default_model("openai")
    return next((m for m in catalog.known_models("openai") if m != default), default)


# ------------------------------------------------------------------------------------------------
# 09-batch-jsonl
# ------------------------------------------------------------------------------------------------


def _completion_reply(model: str, text: str = "네.", completion_id: str = "lab09") -> dict:
    return {
        "id": f"chatcmpl-{completion_id}",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": text,
                    "refusal": None,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 20, "completion_tokens": 12, "total_tokens": 32},
        "service_tier": "default",
        "system_fingerprint": None,
    }


def sdk_request_body(body: dict[str, Any]) -> dict[str, Any]:
    """The JSON the real OpenAI client sends for ``chat.completions.create(**body)``.

    Raises what the SDK raises (``TypeError`` for an argument it does not know).
    """
    return sent_body(
        "openai",
        _completion_reply(str(body.get("model"))),
        lambda client: client.chat.completions.create(**body),
    )


def _read_lines(fb: Feedback, result: Any) -> list[dict[str, Any]] | None:
    """The learner's lines as dicts, or None after a Korean failure."""
    if isinstance(result, bytes):
        try:
            result = result.decode("utf-8")
        except UnicodeDecodeError:
            fb.fail("파일 내용이 UTF-8이 아닙니다.", hint="문자열을 돌려주세요.")
            return None
    if isinstance(result, str):
        raw_lines: list[Any] = [(n, raw) for n, raw in enumerate(result.splitlines(), 1)]
        raw_lines = [(n, raw) for n, raw in raw_lines if raw.strip()]
    elif isinstance(result, (list, tuple)):
        raw_lines = list(enumerate(result, 1))
    else:
        fb.fail(
            f"돌려준 값은 JSONL 문자열이나 줄의 리스트여야 합니다(받은 값: {type(result).__name__}).",
            hint='줄마다 `json.dumps(line, ensure_ascii=False)`를 만들어 `"\\n".join(...)`으로 '
            "이어 붙이세요.",
        )
        return None
    lines = []
    for number, raw in raw_lines:
        if isinstance(raw, Mapping):
            try:
                line = json.loads(json.dumps(raw, ensure_ascii=False))
            except (TypeError, ValueError) as exc:
                fb.fail(
                    f"{number}번째 줄을 JSON으로 바꿀 수 없습니다: `{exc}`.",
                    hint="파일에는 JSON만 들어갑니다. 문자열·숫자·리스트·dict만 쓰세요.",
                )
                return None
        elif isinstance(raw, str):
            try:
                line = json.loads(raw)
            except ValueError:
                fb.fail(
                    f"{number}번째 줄이 JSON이 아닙니다: {raw[:60]!r}. API는 이 파일을 "
                    "`invalid_json_line`으로 거부합니다.",
                    hint="한 줄에 JSON 객체 하나입니다. `json.dumps(...)`로 만들고, 줄 안에 줄바꿈을 "
                    "넣지 마세요(`indent`를 쓰지 않습니다).",
                )
                return None
        else:
            fb.fail(
                f"{number}번째 항목이 dict도 JSON 문자열도 아닙니다({type(raw).__name__}).",
                hint="줄마다 dict나 `json.dumps`한 문자열을 넣으세요.",
            )
            return None
        if not isinstance(line, dict):
            fb.fail(
                f"{number}번째 줄이 JSON 객체(dict)가 아닙니다.",
                hint='줄마다 `{"custom_id": ..., "method": ..., "url": ..., "body": ...}`입니다.',
            )
            return None
        lines.append(line)
    return lines


def _question_of(body: dict[str, Any]) -> str | None:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
        return None
    last = messages[-1]
    if last.get("role") != "user":
        return None
    content = last.get("content")
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return "".join(str(p) for p in parts) if parts else None
    return content if isinstance(content, str) else None


def _check_line(fb: Feedback, number: int, line: dict[str, Any], model: str) -> bool:
    missing = [k for k in ("custom_id", "method", "url", "body") if k not in line]
    if missing:
        fb.fail(
            f"{number}번째 줄에 {', '.join(f'`{k}`' for k in missing)} 키가 없습니다.",
            hint="줄마다 `custom_id`, `method`, `url`, `body` 네 키가 있어야 합니다.",
        )
        return False
    custom_id = line["custom_id"]
    if not isinstance(custom_id, str) or not custom_id:
        fb.fail(
            f"{number}번째 줄의 `custom_id`가 비어 있지 않은 문자열이 아닙니다({custom_id!r}).",
            hint='번호도 문자열로 바꿔 쓰세요: `f"q-{i}"`.',
        )
        return False
    if line["method"] != "POST":
        fb.fail(
            f'{number}번째 줄의 `method`가 {line["method"]!r}입니다. 채팅 요청은 `"POST"`입니다.',
            hint='`"method": "POST"`로 쓰세요.',
        )
        return False
    if line["url"] != BATCH_URL:
        fb.fail(
            f"{number}번째 줄의 `url`이 {line['url']!r}입니다. 배치의 `endpoint`와 다르면 API가 "
            "`url_mismatch`로 파일을 거부합니다.",
            hint=f'`"url": "{BATCH_URL}"` — 호스트 없이 경로만, `batches.create(endpoint=...)`와 '
            "같은 값입니다.",
        )
        return False
    body = line["body"]
    if not isinstance(body, dict):
        fb.fail(
            f"{number}번째 줄의 `body`가 dict가 아닙니다({type(body).__name__}).",
            hint="`body`는 JSON 문자열이 아니라 객체입니다. 줄 전체를 한 번만 `json.dumps`하세요.",
        )
        return False
    for key in ("model", "messages"):
        if key not in body:
            fb.fail(
                f"{number}번째 줄의 `body`에 `{key}`가 없습니다.",
                hint="`body`에는 `chat.completions.create`에 넘길 인자(`model`, `messages`, ...)를 "
                "그대로 넣습니다.",
            )
            return False
    if body["model"] != model:
        fb.fail(
            f"{number}번째 줄의 모델이 {body['model']!r}입니다(기대: {model!r}).",
            hint="모델 이름을 직접 쓰지 말고 매개변수 `model`을 그대로 넣으세요.",
        )
        return False
    # "Batch API requests must not set `stream: true`. OpenAI rejects such requests during
    # validation." (llm-d/llm-d-batch-gateway#153, which re-implements the Batch API.)
    if body.get("stream"):
        fb.fail(
            f"{number}번째 줄이 `stream: true`입니다. 배치 요청은 스트리밍할 수 없습니다.",
            hint="`stream`을 빼세요. 결과는 나중에 파일로 한꺼번에 받습니다.",
        )
        return False
    try:
        sent = sdk_request_body(body)
    except Exception as exc:  # noqa: BLE001 - the SDK refusing the body is the finding
        fb.fail(
            f"{number}번째 줄의 `body`를 SDK가 요청으로 만들지 못했습니다: "
            f"`{type(exc).__name__}: {exc}`",
            hint="`body`의 키는 `client.chat.completions.create(...)`의 인자 이름이어야 합니다.",
        )
        return False
    if sent != body:
        fb.fail(
            f"{number}번째 줄의 `body`가 SDK가 보낼 JSON과 다릅니다.",
            hint="`body`에는 JSON으로 나타낼 수 있는 값만 넣으세요.",
        )
        return False
    return True


def _check_lines_for(fb: Feedback, func: Any, questions: list[str], model: str, scene: str) -> bool:
    result = run_learner(func, list(questions), model, what="build_batch_lines(questions, model)")
    lines = _read_lines(fb, result)
    if lines is None:
        return False
    if len(lines) != len(questions):
        fb.fail(
            f"{scene}: 질문 {len(questions)}개에 줄이 {len(lines)}개입니다.",
            hint="질문 하나가 요청 하나, 곧 한 줄입니다.",
        )
        return False
    for number, line in enumerate(lines, 1):
        if not _check_line(fb, number, line, model):
            return False
    ids = Counter(line["custom_id"] for line in lines)
    doubled = sorted(cid for cid, n in ids.items() if n > 1)
    if doubled:
        fb.fail(
            f"{scene}: `custom_id`가 겹칩니다: {', '.join(map(repr, doubled))}. API는 이 파일을 "
            "`duplicate_custom_id`로 거부하고, 받아들인다 해도 결과를 요청과 짝지을 수 없습니다.",
            hint="같은 질문이 두 번 있을 수 있으니 질문 글자 대신 번호로 id를 만드세요: "
            '`f"q-{i}"`.',
        )
        return False
    asked = Counter(_question_of(line["body"]) for line in lines)
    if asked != Counter(questions):
        lost = list((Counter(questions) - asked).elements())
        fb.fail(
            f"{scene}: 질문이 user 메시지로 한 번씩 들어가지 않았습니다"
            + (f"(빠진 질문: {lost[0]!r})." if lost else "."),
            hint='질문마다 `"messages": [{"role": "user", "content": question}]`처럼 마지막 '
            "user 메시지의 내용으로 넣으세요.",
        )
        return False
    return True


@register("09-batch-jsonl", "배치 입력 JSONL 만들기")
def _check_batch_jsonl(answer: Any, fb: Feedback) -> None:
    usage = "def build_batch_lines(questions, model)"
    if check_signature(fb, answer, "build_batch_lines", ["questions", "model"], usage) is None:
        return
    model = catalog.default_model("openai")
    if not _check_lines_for(fb, answer, SAMPLE_QUESTIONS, model, "예시 질문"):
        return
    fb.ok(
        f"질문 {len(SAMPLE_QUESTIONS)}개가 한 줄씩, 서로 다른 `custom_id`로 들어갔습니다(같은 질문 두 "
        "개도 따로)."
    )
    fb.ok(f"모든 줄이 `POST {BATCH_URL}`이고, `body`는 진짜 OpenAI SDK가 그대로 보내는 요청입니다.")
    other = _other_model()
    if not _check_lines_for(fb, answer, _OTHER_QUESTIONS, other, f"다른 질문과 모델({other})"):
        return
    fb.ok("다른 질문 리스트와 다른 모델에도 맞게 만들어졌습니다.")


# ------------------------------------------------------------------------------------------------
# 09-batch-match
# ------------------------------------------------------------------------------------------------

_ANSWERS = {
    "q-0": "구매 후 7일 안에 신청할 수 있습니다.",
    "q-1": "마이페이지의 주문 내역에서 배송 조회를 누르세요.",
    "q-2": "구매 후 7일 안에 신청할 수 있습니다.",
    "q-3": "최근 3개월 구매 금액에 따라 매달 1일에 정해집니다.",
    "q-4": "네, 사용한 포인트는 취소와 함께 돌아옵니다.",
}


def _hex(kind: str, n: int) -> str:
    """32 stable hex digits, shaped like the ids the Batch API writes (see module docstring)."""
    return hashlib.sha256(f"lab09-{kind}-{n}".encode()).hexdigest()[:32]


def _output_line(custom_id: str, text: str, n: int, status: int = 200) -> dict[str, Any]:
    model = catalog.default_model("openai")
    body: dict[str, Any] = _completion_reply(model, text, f"Lab09Batch{n:02d}")
    if status != 200:
        body = {
            "error": {
                "message": "The server had an error while processing your request.",
                "type": "server_error",
                "param": None,
                "code": None,
            }
        }
    return {
        "id": f"batch_req_{_hex('line', n)}",
        "custom_id": custom_id,
        "response": {
            "status_code": status,
            "request_id": f"req_{_hex('request', n)}",
            "body": body,
        },
        "error": None,
    }


def _failed_line(custom_id: str, n: int) -> dict[str, Any]:
    return {
        "id": f"batch_req_{_hex('line', n)}",
        "custom_id": custom_id,
        "response": {
            "status_code": 400,
            "request_id": f"req_{_hex('request', n)}",
            "body": {
                "error": {
                    "message": "Invalid value for 'max_completion_tokens': must be positive.",
                    "type": "invalid_request_error",
                    "param": "max_completion_tokens",
                    "code": "invalid_value",
                }
            },
        },
        "error": None,
    }


def _expired_line(custom_id: str, n: int) -> dict[str, Any]:
    return {
        "id": f"batch_req_{_hex('line', n)}",
        "custom_id": custom_id,
        "response": None,
        "error": {
            "code": "batch_expired",
            "message": "This request could not be executed before the completion window expired.",
        },
    }


def _jsonl(lines: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


def sample_batch_files() -> dict[str, Any]:
    """A finished batch: three answers out of order, one refused request, one expired."""
    ids = list(_ANSWERS)
    output = [
        _output_line(cid, _ANSWERS[cid], n) for n, cid in ((1, "q-3"), (2, "q-0"), (3, "q-4"))
    ]
    errors = [_expired_line("q-2", 4), _failed_line("q-1", 5)]
    return {"custom_ids": ids, "output_text": _jsonl(output), "error_text": _jsonl(errors)}


def _scenes() -> list[tuple[str, list[str], str | None, str | None, dict[str, str | None]]]:
    """(label, custom_ids, output_text, error_text, expected)."""
    ids = list(_ANSWERS)
    sample = sample_batch_files()
    all_ok = [_output_line(cid, _ANSWERS[cid], n) for n, cid in enumerate(reversed(ids), 10)]
    retried_first = [_output_line("q-0", _ANSWERS["q-0"], 20)]
    retried_errors = [_failed_line("q-1", 21), _expired_line("q-2", 22)]
    retried_second = [
        _output_line("q-2", _ANSWERS["q-2"], 23),
        _output_line("other-7", "다른 작업의 답입니다.", 24),
        _output_line("q-1", _ANSWERS["q-1"], 25),
    ]
    guarded = [
        _output_line("q-1", _ANSWERS["q-1"], 30, status=500),
        _output_line("q-0", _ANSWERS["q-0"], 31),
    ]
    return [
        (
            "예시 배치(순서 뒤섞임, 거부 1개, 만료 1개)",
            ids,
            sample["output_text"],
            sample["error_text"],
            {**_ANSWERS, "q-1": None, "q-2": None},
        ),
        ("모두 성공(오류 파일 없음: None)", ids, _jsonl(all_ok), None, dict(_ANSWERS)),
        (
            "모두 만료(출력 파일 없음: None)",
            ids[:3],
            None,
            _jsonl([_expired_line(cid, 40 + n) for n, cid in enumerate(ids[:3])]),
            {cid: None for cid in ids[:3]},
        ),
        (
            "실패한 요청을 다시 보낸 두 배치의 파일을 이어 붙인 경우(다른 작업의 줄 하나 포함)",
            ids[:3],
            _jsonl(retried_first) + "\n" + _jsonl(retried_second),
            _jsonl(retried_errors),
            {cid: _ANSWERS[cid] for cid in ids[:3]},
        ),
        (
            "출력 파일에 상태 코드 500인 줄이 있는 경우",
            ids[:2],
            _jsonl(guarded),
            "",
            {"q-0": _ANSWERS["q-0"], "q-1": None},
        ),
    ]


def _judge_match(
    fb: Feedback, result: Any, ids: list[str], expected: dict[str, str | None], label: str
) -> bool:
    if not isinstance(result, Mapping):
        fb.fail(
            f"{label}: 돌려준 값이 dict가 아닙니다({type(result).__name__}).",
            hint="`{custom_id: 답 또는 None}` dict를 돌려주세요.",
        )
        return False
    missing = [cid for cid in ids if cid not in result]
    if missing:
        failed = [cid for cid in missing if expected[cid] is None]
        fb.fail(
            f"{label}: 결과에 없는 `custom_id`가 있습니다: {', '.join(missing)}.",
            hint="실패하거나 만료된 요청도 키로 남기고 값을 `None`으로 두어야 다시 보낼 요청을 찾을 "
            "수 있습니다. `{cid: None for cid in custom_ids}`로 시작하세요."
            if failed
            else "출력 파일의 줄을 모두 읽었는지 확인하세요.",
        )
        return False
    extra = [cid for cid in result if cid not in expected]
    if extra:
        fb.fail(
            f"{label}: 묻지 않은 `custom_id`가 들어 있습니다: {', '.join(map(str, extra))}.",
            hint="`custom_ids`에 없는 줄(다른 배치의 결과 등)은 건너뛰세요.",
        )
        return False
    texts = {v for v in expected.values() if v is not None}
    for cid in ids:
        got, want = result[cid], expected[cid]
        if got == want and (want is None or isinstance(got, str)):
            continue
        if want is None:
            fb.fail(
                f"{label}: 실패하거나 만료된 `{cid}`의 값이 {str(got)[:60]!r}입니다(기대: None).",
                hint="`response`가 `null`이거나 `status_code`가 200이 아닌 줄은 답이 아닙니다. "
                "오류 내용을 답으로 넣지 말고 `None`으로 두세요.",
            )
        elif got is None:
            fb.fail(
                f"{label}: 성공한 `{cid}`의 답이 `None`입니다(기대: {want!r}).",
                hint="같은 `custom_id`가 오류 파일에도 있으면(다시 보내기 전의 실패) 성공한 답을 "
                "`None`으로 덮어쓰지 마세요."
                if label.startswith("실패한 요청을")
                else "출력 파일에서 `status_code == 200`인 줄의 답을 넣으세요.",
            )
        elif isinstance(got, str) and got in texts:
            fb.fail(
                f"{label}: `{cid}`에 다른 요청의 답이 들어갔습니다: {got!r}(기대: {want!r}).",
                hint="결과 파일의 줄 순서는 입력 순서와 다릅니다. 위치가 아니라 줄의 `custom_id`로 "
                "짝지으세요.",
            )
        else:
            fb.fail(
                f"{label}: `{cid}`의 값이 {str(got)[:60]!r}입니다(기대: {want!r}).",
                hint='답 문자열은 `line["response"]["body"]["choices"][0]["message"]["content"]`'
                "입니다.",
            )
        return False
    return True


@register("09-batch-match", "배치 결과를 custom_id로 짝짓기")
def _check_batch_match(answer: Any, fb: Feedback) -> None:
    needed = ["custom_ids", "output_text", "error_text"]
    usage = "def match_results(custom_ids, output_text, error_text)"
    if check_signature(fb, answer, "match_results", needed, usage) is None:
        return
    passed = []
    for label, ids, output_text, error_text, expected in _scenes():
        try:
            result = run_learner(
                answer,
                list(ids),
                output_text,
                error_text,
                what="match_results(custom_ids, output_text, error_text)",
            )
        except LearnerError as exc:
            if None in (output_text, error_text) and "NoneType" in str(exc.original):
                fb.fail(
                    f"{label}: 파일이 없을 때(`None`) 코드가 멈춥니다: "
                    f"`{type(exc.original).__name__}: {exc.original}`",
                    hint="모든 요청이 성공하면 오류 파일이, 모두 실패하면 출력 파일이 없습니다"
                    '(`error_file_id`/`output_file_id`가 `None`). `(output_text or "")`처럼 '
                    "빈 문자열로 바꿔 읽으세요.",
                )
                return
            raise
        if not _judge_match(fb, result, ids, expected, label):
            return
        passed.append(label)
    fb.ok(f"{len(passed)}가지 경우 모두 맞게 짝지었습니다: " + " · ".join(passed) + ".")
