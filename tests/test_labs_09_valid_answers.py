"""Lesson 09 labs: answers written differently from the references that the API accepts and the
lesson teaches must pass. (References: tests/test_labs_09.py; wrong answers:
tests/test_labs_09_variants.py.)"""

from __future__ import annotations

import copy
import json
import math
import uuid

import pytest

from helpers.labs import check

from .test_labs_09 import choose_settings, match_results

# --- 09-batch-jsonl -----------------------------------------------------------------------------


def list_of_dicts(questions, model):
    return [
        {
            "custom_id": f"request-{i:04d}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": model, "messages": [{"role": "user", "content": q}]},
        }
        for i, q in enumerate(questions)
    ]


def list_of_json_strings(questions, model):
    return [json.dumps(line) for line in list_of_dicts(questions, model)]  # ASCII escapes too


def uuid_ids_with_a_system_prompt(questions, model):
    lines = []
    for question in questions:
        body = {
            "model": model,
            "messages": [
                {"role": "developer", "content": "고객 문의에 한두 문장으로 답하세요."},
                {"role": "user", "content": question},
            ],
            "max_tokens": 150,
            "temperature": 0.2,
        }
        line = {"custom_id": uuid.uuid4().hex, "method": "POST", "url": "/v1/chat/completions"}
        lines.append(json.dumps({**line, "body": body}, ensure_ascii=False))
    return "\n".join(lines)  # no trailing newline


def text_parts_and_crlf(questions, model):
    lines = []
    for i, question in enumerate(questions):
        content = [{"type": "text", "text": question}]
        body = {"model": model, "messages": [{"role": "user", "content": content}], "n": 1}
        line = {"custom_id": str(i), "method": "POST", "url": "/v1/chat/completions", "body": body}
        lines.append(json.dumps(line, ensure_ascii=False))
    return "\r\n".join(lines) + "\r\n"


def utf8_bytes(questions, model):
    return "".join(line + "\n" for line in list_of_json_strings(questions, model)).encode()


@pytest.mark.parametrize(
    "answer",
    [
        list_of_dicts,
        list_of_json_strings,
        uuid_ids_with_a_system_prompt,
        text_parts_and_crlf,
        utf8_bytes,
    ],
)
def test_valid_batch_builders_pass(answer):
    feedback = check("09-batch-jsonl", answer)
    assert feedback.passed, str(feedback)


# --- 09-batch-match -----------------------------------------------------------------------------


def parsed_with_the_sdk(custom_ids, output_text, error_text):
    from openai.types.chat import ChatCompletion

    results = dict.fromkeys(custom_ids)
    for raw in (output_text or "").splitlines():
        if not raw.strip():
            continue
        line = json.loads(raw)
        response = line["response"]
        if line["custom_id"] in results and response["status_code"] == 200:
            completion = ChatCompletion.model_validate(response["body"])
            results[line["custom_id"]] = completion.choices[0].message.content
    return results


def errors_first_then_answers(custom_ids, output_text, error_text):
    failed = {json.loads(r)["custom_id"] for r in (error_text or "").splitlines() if r.strip()}
    results = {cid: None for cid in custom_ids if cid in failed}
    for raw in (output_text or "").splitlines():
        if raw.strip():
            line = json.loads(raw)
            ok = (line.get("response") or {}).get("status_code") == 200
            if line["custom_id"] in custom_ids and ok:
                results[line["custom_id"]] = line["response"]["body"]["choices"][0]["message"][
                    "content"
                ]
    return {cid: results.get(cid) for cid in custom_ids}


def comprehension_over_output(custom_ids, output_text, error_text):
    lines = [json.loads(r) for r in (output_text or "").split("\n") if r.strip()]
    answers = {
        line["custom_id"]: line["response"]["body"]["choices"][0]["message"]["content"]
        for line in lines
        if line.get("error") is None and line["response"]["status_code"] == 200
    }
    return {cid: answers.get(cid) for cid in custom_ids}


def checks_body_for_choices(custom_ids, output_text, error_text):
    results = {}
    for cid in custom_ids:
        results[cid] = None
    for text in (output_text, error_text):
        for raw in (text or "").splitlines():
            if not raw.strip():
                continue
            line = json.loads(raw)
            body = (line.get("response") or {}).get("body") or {}
            if line["custom_id"] in results and body.get("choices"):
                results[line["custom_id"]] = body["choices"][0]["message"]["content"]
    return results


@pytest.mark.parametrize(
    "answer",
    [
        parsed_with_the_sdk,
        errors_first_then_answers,
        comprehension_over_output,
        checks_body_for_choices,
    ],
)
def test_valid_matchers_pass(answer):
    feedback = check("09-batch-match", answer)
    assert feedback.passed, str(feedback)


def test_the_reference_keeps_a_success_whichever_file_comes_first():
    def error_file_first(custom_ids, output_text, error_text):
        return match_results(custom_ids, error_text, output_text)

    assert check("09-batch-match", error_file_first).passed


# --- 09-limits ----------------------------------------------------------------------------------


def whole_numbers(rpm, tpm, prompt_tokens, max_tokens, latency_s, share=1.0):
    rpm_budget, tpm_budget = int(rpm * share), int(tpm * share)
    per_second = min(rpm_budget, tpm_budget // (prompt_tokens + max_tokens)) / 60
    return {
        "max_concurrency": max(1, math.ceil(per_second * latency_s)),
        "rpm": rpm_budget,
        "tpm": tpm_budget,
    }


def safety_margin(rpm, tpm, prompt_tokens, max_tokens, latency_s, share=1.0):
    settings = choose_settings(rpm, tpm, prompt_tokens, max_tokens, latency_s, share)
    return {
        "max_concurrency": settings["max_concurrency"] + 1,
        "rpm": 0.9 * settings["rpm"],
        "tpm": 0.9 * settings["tpm"],
    }


def generous_concurrency(rpm, tpm, prompt_tokens, max_tokens, latency_s, share=1.0):
    return {"max_concurrency": 64, "rpm": rpm * share, "tpm": tpm * share}


def counts_only_the_prompt(rpm, tpm, prompt_tokens, max_tokens, latency_s, share=1.0):
    """A larger concurrency than needed; the limiter still counts prompt + max_tokens."""
    per_minute = min(rpm * share, tpm * share / prompt_tokens)
    return {
        "max_concurrency": math.ceil(per_minute * latency_s / 60),
        "rpm": rpm * share,
        "tpm": tpm * share,
    }


@pytest.mark.parametrize(
    "answer", [whole_numbers, safety_margin, generous_concurrency, counts_only_the_prompt]
)
def test_valid_settings_pass(answer):
    feedback = check("09-limits", answer)
    assert feedback.passed, str(feedback)


def test_far_more_concurrency_than_needed_passes_with_a_note():
    feedback = check("09-limits", generous_concurrency)
    assert feedback.passed and "훨씬 큽니다" in str(feedback)


# --- 09-cache -----------------------------------------------------------------------------------


def in_place(request):
    request["system"][0]["cache_control"] = {"type": "ephemeral"}
    return request


def rebuilt_system(request):
    manual, note = request["system"]
    return {**request, "system": [{**manual, "cache_control": {"type": "ephemeral"}}, note]}


def one_hour(request):
    request = copy.deepcopy(request)
    request["system"][0]["cache_control"] = {"type": "ephemeral", "ttl": "1h"}
    return request


def five_minutes_plus_last_tool(request):
    request = copy.deepcopy(request)
    request["tools"][-1]["cache_control"] = {"type": "ephemeral"}
    request["system"][0]["cache_control"] = {"type": "ephemeral", "ttl": "5m"}
    return request


def manual_and_conversation(request):
    request = copy.deepcopy(request)
    request["system"][0]["cache_control"] = {"type": "ephemeral"}
    return {**request, "cache_control": {"type": "ephemeral"}}


@pytest.mark.parametrize(
    "answer",
    [in_place, rebuilt_system, one_hour, five_minutes_plus_last_tool, manual_and_conversation],
)
def test_valid_breakpoints_pass(answer):
    feedback = check("09-cache", answer)
    assert feedback.passed, str(feedback)


def test_an_extra_breakpoint_after_the_note_passes_with_a_note_on_its_cost():
    feedback = check("09-cache", manual_and_conversation)
    assert feedback.passed and "캐시 쓰기 요금" in str(feedback)
