"""Lesson 09 labs: plausible wrong answers are rejected, each with the Korean message that names
its real cause. (References: tests/test_labs_09.py; other valid answers:
tests/test_labs_09_valid_answers.py.)"""

from __future__ import annotations

import copy
import hashlib
import json

import pytest

from helpers.labs import check

from .test_labs_09 import add_cache_control, choose_settings, match_results


def _line(custom_id, model, question, **body):
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": model, "messages": [{"role": "user", "content": question}], **body},
    }


# --- 09-batch-jsonl -----------------------------------------------------------------------------


def ids_from_text(questions, model):
    return [_line(hashlib.md5(q.encode()).hexdigest(), model, q) for q in questions]


def absolute_url(questions, model):
    lines = [_line(f"q-{i}", model, q) for i, q in enumerate(questions)]
    for line in lines:
        line["url"] = "https://api.openai.com/v1/chat/completions"
    return lines


def get_method(questions, model):
    return [{**_line(f"q-{i}", model, q), "method": "GET"} for i, q in enumerate(questions)]


def hard_coded_model(questions, model):
    return [_line(f"q-{i}", "gpt-4o-mini", q) for i, q in enumerate(questions)]


def misspelt_param(questions, model):
    return [_line(f"q-{i}", model, q, temprature=0) for i, q in enumerate(questions)]


def pretty_printed(questions, model):
    return "\n".join(
        json.dumps(_line(f"q-{i}", model, q), indent=2) for i, q in enumerate(questions)
    )


def integer_ids(questions, model):
    return [{**_line("x", model, q), "custom_id": i} for i, q in enumerate(questions)]


def streaming(questions, model):
    return [_line(f"q-{i}", model, q, stream=True) for i, q in enumerate(questions)]


def body_as_string(questions, model):
    lines = [_line(f"q-{i}", model, q) for i, q in enumerate(questions)]
    return [{**line, "body": json.dumps(line["body"])} for line in lines]


def all_in_one(questions, model):
    return [_line("all", model, "\n".join(questions))]


def no_messages(questions, model):
    lines = [_line(f"q-{i}", model, q) for i, q in enumerate(questions)]
    for line in lines:
        line["body"] = {"model": model, "prompt": line["body"]["messages"][0]["content"]}
    return lines


def drops_a_duplicate(questions, model):
    unique = list(dict.fromkeys(questions))
    return [_line(f"q-{i}", model, q) for i, q in enumerate(unique)]


def lines_joined_without_newline(questions, model):
    return "".join(json.dumps(_line(f"q-{i}", model, q)) for i, q in enumerate(questions))


def a_single_dict(questions, model):
    return _line("q-0", model, questions[0])


JSONL_WRONG = [
    (ids_from_text, "`duplicate_custom_id`"),
    (absolute_url, "`url_mismatch`"),
    (get_method, '채팅 요청은 `"POST"`입니다'),
    (hard_coded_model, "의 모델이 'gpt-4o-mini'입니다"),
    (misspelt_param, "unexpected keyword argument 'temprature'"),
    (pretty_printed, "`invalid_json_line`"),
    (integer_ids, "`custom_id`가 비어 있지 않은 문자열이 아닙니다"),
    (streaming, "배치 요청은 스트리밍할 수 없습니다"),
    (body_as_string, "`body`가 dict가 아닙니다"),
    (all_in_one, "질문 5개에 줄이 1개입니다"),
    (no_messages, "`body`에 `messages`가 없습니다"),
    (drops_a_duplicate, "질문 5개에 줄이 4개입니다"),
    (lines_joined_without_newline, "`invalid_json_line`"),
    (a_single_dict, "JSONL 문자열이나 줄의 리스트여야 합니다"),
]


@pytest.mark.parametrize(("answer", "cause"), JSONL_WRONG, ids=[f.__name__ for f, _ in JSONL_WRONG])
def test_wrong_batch_lines_are_rejected_with_their_cause(answer, cause):
    feedback = check("09-batch-jsonl", answer)
    assert feedback.status == "failed", str(feedback)
    assert cause in str(feedback), str(feedback)


def test_a_model_kept_from_the_first_call_is_caught_on_the_second():
    first = []

    def remembers(questions, model):
        first.append(first[0] if first else model)
        return [_line(f"q-{i}", first[0], q) for i, q in enumerate(questions)]

    feedback = check("09-batch-jsonl", remembers)
    assert feedback.status == "failed" and "매개변수 `model`을 그대로" in str(feedback)


# --- 09-batch-match -----------------------------------------------------------------------------


def _lines(text):
    return [json.loads(raw) for raw in (text or "").splitlines() if raw.strip()]


def _answer(line):
    return line["response"]["body"]["choices"][0]["message"]["content"]


def output_only(custom_ids, output_text, error_text):
    return {line["custom_id"]: _answer(line) for line in _lines(output_text)}


def by_position(custom_ids, output_text, error_text):
    results = dict.fromkeys(custom_ids)
    for custom_id, line in zip(custom_ids, _lines(output_text), strict=False):
        results[custom_id] = _answer(line)
    return results


def error_overwrites_success(custom_ids, output_text, error_text):
    results = dict.fromkeys(custom_ids)
    for line in _lines(output_text):
        if line["custom_id"] in results and line["response"]["status_code"] == 200:
            results[line["custom_id"]] = _answer(line)
    for line in _lines(error_text):
        if line["custom_id"] in results:
            results[line["custom_id"]] = None
    return results


def error_as_answer(custom_ids, output_text, error_text):
    results = match_results(custom_ids, output_text, error_text)
    for line in _lines(error_text):
        if line["custom_id"] in results:
            results[line["custom_id"]] = (line["error"] or {}).get("message", "오류")
    return results


def keeps_other_jobs(custom_ids, output_text, error_text):
    results = match_results(custom_ids, output_text, error_text)
    for line in _lines(output_text):
        results.setdefault(line["custom_id"], None)
    return results


def crashes_on_missing_file(custom_ids, output_text, error_text):
    output_text.splitlines()
    error_text.splitlines()
    return match_results(custom_ids, output_text, error_text)


def whole_body(custom_ids, output_text, error_text):
    results = dict.fromkeys(custom_ids)
    for line in _lines(output_text):
        if line["custom_id"] in results and line["response"]["status_code"] == 200:
            results[line["custom_id"]] = line["response"]["body"]
    return results


def ignores_status_code(custom_ids, output_text, error_text):
    results = dict.fromkeys(custom_ids)
    for line in _lines(output_text):
        body = line["response"]["body"]
        if line["custom_id"] in results:
            results[line["custom_id"]] = json.dumps(body.get("choices") or body["error"])
    return results


def a_list(custom_ids, output_text, error_text):
    return list(match_results(custom_ids, output_text, error_text).values())


MATCH_WRONG = [
    (output_only, "결과에 없는 `custom_id`가 있습니다: q-1, q-2"),
    (by_position, "위치가 아니라 줄의 `custom_id`로 짝지으세요"),
    (error_overwrites_success, "성공한 답을 `None`으로 덮어쓰지 마세요"),
    (error_as_answer, "실패하거나 만료된 `q-1`의 값이"),
    (keeps_other_jobs, "묻지 않은 `custom_id`가 들어 있습니다: other-7"),
    (crashes_on_missing_file, "파일이 없을 때(`None`) 코드가 멈춥니다"),
    (whole_body, '["choices"][0]["message"]["content"]'),
    (ignores_status_code, "의 값이"),
    (a_list, "돌려준 값이 dict가 아닙니다(list)"),
]


@pytest.mark.parametrize(("answer", "cause"), MATCH_WRONG, ids=[f.__name__ for f, _ in MATCH_WRONG])
def test_wrong_matchers_are_rejected_with_their_cause(answer, cause):
    feedback = check("09-batch-match", answer)
    assert feedback.status == "failed", str(feedback)
    assert cause in str(feedback), str(feedback)


def test_a_status_blind_matcher_is_caught_by_the_500_line():
    def trusts_the_output_file(custom_ids, output_text, error_text):
        results = dict.fromkeys(custom_ids)
        for line in _lines(output_text):
            if line["custom_id"] in results:
                body = line["response"]["body"]
                results[line["custom_id"]] = (body.get("choices") or [{}])[0].get("message", {})
                if isinstance(results[line["custom_id"]], dict):
                    results[line["custom_id"]] = results[line["custom_id"]].get("content", "")
        return results

    feedback = check("09-batch-match", trusts_the_output_file)
    assert feedback.status == "failed", str(feedback)
    assert "상태 코드 500인 줄" in str(feedback) and "(기대: None)" in str(feedback)


# --- 09-limits ----------------------------------------------------------------------------------


def _tweak(**changes):
    def settings(rpm, tpm, prompt_tokens, max_tokens, latency_s, share=1.0):
        result = choose_settings(rpm, tpm, prompt_tokens, max_tokens, latency_s, share)
        for key, change in changes.items():
            result[key] = change(result, rpm, tpm, share)
        return result

    return settings


ignores_share = _tweak(rpm=lambda r, rpm, tpm, share: rpm, tpm=lambda r, rpm, tpm, share: tpm)
shares_tokens_only = _tweak(rpm=lambda r, rpm, tpm, share: rpm)
shares_requests_only = _tweak(tpm=lambda r, rpm, tpm, share: tpm)
no_request_limit = _tweak(rpm=lambda r, *_: None)
one_at_a_time = _tweak(max_concurrency=lambda r, *_: 1)
too_few_in_flight = _tweak(max_concurrency=lambda r, *_: max(1, int(r["max_concurrency"] * 0.7)))
half_budgets = _tweak(rpm=lambda r, *_: r["rpm"] / 2, tpm=lambda r, *_: r["tpm"] / 2)
float_concurrency = _tweak(max_concurrency=lambda r, *_: float(r["max_concurrency"]))
zero_concurrency = _tweak(max_concurrency=lambda r, *_: 0)
budget_below_one_request = _tweak(tpm=lambda r, *_: 1000)
negative_rpm = _tweak(rpm=lambda r, *_: -1)


def as_tuple(rpm, tpm, prompt_tokens, max_tokens, latency_s, share=1.0):
    settings = choose_settings(rpm, tpm, prompt_tokens, max_tokens, latency_s, share)
    return (settings["max_concurrency"], settings["tpm"])


def misspelt_key(rpm, tpm, prompt_tokens, max_tokens, latency_s, share=1.0):
    settings = choose_settings(rpm, tpm, prompt_tokens, max_tokens, latency_s, share)
    settings["concurrency"] = settings.pop("max_concurrency")
    return settings


LIMITS_WRONG = [
    (ignores_share, "이 작업의 몫은 분당 200,000 토큰인데 `tpm` 설정은 400000"),
    (shares_tokens_only, "요청 한도(RPM)를 넘어 429가"),
    (shares_requests_only, "토큰 한도(TPM)를 넘어 429가"),
    (no_request_limit, "`rpm` 설정은 None입니다"),
    (one_at_a_time, "발목을 잡는 것은 동시성 × 지연: 동시에 1개"),
    (too_few_in_flight, "발목을 잡는 것은 동시성 × 지연: 동시에 7개"),
    (half_budgets, "발목을 잡는 것은 토큰 예산: 분당 100,000 토큰"),
    (float_concurrency, "`max_concurrency`는 1 이상의 정수여야 합니다(받은 값: 10.0)"),
    (zero_concurrency, "`max_concurrency`는 1 이상의 정수여야 합니다(받은 값: 0)"),
    (budget_below_one_request, "요청 하나의 토큰 2,000개보다 작아"),
    (negative_rpm, "`rpm`는 0보다 큰 수나 `None`이어야 합니다"),
    (as_tuple, "돌려준 값이 dict가 아닙니다(tuple)"),
    (misspelt_key, "없는 키: 'max_concurrency'"),
]


@pytest.mark.parametrize(
    ("answer", "cause"), LIMITS_WRONG, ids=[cause[:24] for _, cause in LIMITS_WRONG]
)
def test_wrong_settings_are_rejected_naming_the_binding_limit(answer, cause):
    feedback = check("09-limits", answer)
    assert feedback.status == "failed", str(feedback)
    assert cause in str(feedback), str(feedback)


# --- 09-cache -----------------------------------------------------------------------------------

EPHEMERAL = {"type": "ephemeral"}


def _copy_with(edit):
    def answer(request):
        request = copy.deepcopy(request)
        edit(request)
        return request

    return answer


def _mark_last_message(request):
    last = request["messages"][-1]
    last["content"] = [{"type": "text", "text": last["content"], "cache_control": EPHEMERAL}]


on_the_note = _copy_with(lambda r: r["system"][1].update(cache_control=EPHEMERAL))
on_the_last_message = _copy_with(_mark_last_message)
on_the_last_tool = _copy_with(lambda r: r["tools"][-1].update(cache_control=EPHEMERAL))
wrong_type = _copy_with(lambda r: r["system"][0].update(cache_control={"type": "persistent"}))
day_long_ttl = _copy_with(
    lambda r: r["system"][0].update(cache_control={"type": "ephemeral", "ttl": "24h"})
)
misspelt_cache_key = _copy_with(lambda r: r["system"][0].update(cache=EPHEMERAL))
unmarked = _copy_with(lambda r: None)


def top_level(request):
    return {**request, "cache_control": EPHEMERAL}


def five_breakpoints(request):
    request = copy.deepcopy(request)
    for block in [*request["tools"], *request["system"]]:
        block["cache_control"] = EPHEMERAL
    _mark_last_message(request)
    return request


def moves_the_note_away(request):
    request = copy.deepcopy(request)
    request["system"].pop(1)
    request["system"][0]["cache_control"] = EPHEMERAL
    return request


def edits_in_place_without_returning(request):
    request["system"][0]["cache_control"] = EPHEMERAL


def returns_the_system_only(request):
    return add_cache_control(request)["system"]


CACHE_WRONG = [
    (on_the_note, "system[1]: 이 중단점까지의 앞부분에는 매번 바뀌는 메모"),
    (on_the_last_message, "messages[0].content[0]: 이 중단점까지의 앞부분에는 매번 바뀌는 메모"),
    (
        top_level,
        "요청 최상위 `cache_control`(자동 캐싱): 이 중단점까지의 앞부분에는 매번 바뀌는 메모",
    ),
    (on_the_last_tool, "최소 캐시 길이"),
    (five_breakpoints, "중단점이 5개입니다"),
    (wrong_type, '타입은 `"ephemeral"`뿐입니다'),
    (day_long_ttl, '`ttl`은 `"5m"`이나 `"1h"`입니다'),
    (moves_the_note_away, "내용이 바뀌었습니다(바뀐 부분: system)"),
    (misspelt_cache_key, "`cache`라는 키는 API가 모릅니다"),
    (edits_in_place_without_returning, "`None`을 돌려줍니다"),
    (returns_the_system_only, "요청 인자 dict가 아닙니다(list)"),
    (unmarked, "중단점이 하나도 없습니다"),
]


@pytest.mark.parametrize(
    ("answer", "cause"), CACHE_WRONG, ids=[cause[:20] for _, cause in CACHE_WRONG]
)
def test_wrong_breakpoints_are_rejected_with_their_cause(answer, cause):
    feedback = check("09-cache", answer)
    assert feedback.status == "failed", str(feedback)
    assert cause in str(feedback), str(feedback)


def test_a_too_short_prefix_names_the_model_minimum():
    from helpers.replay import builder

    from .test_labs_09 import support_request

    minimum = builder.anthropic_cache_minimum(support_request(1)["model"])
    feedback = check("09-cache", on_the_last_tool)
    assert f"최소 캐시 길이 {minimum:,} 토큰보다 짧아" in str(feedback), str(feedback)
