"""Lesson 09 labs: the reference solutions of /tmp/briefs/lab09_contract.md pass, unsolved answers
get guidance, an answer that raises becomes feedback, and the public helpers the notebook uses
work. (Other valid answers: tests/test_labs_09_valid_answers.py; wrong ones:
tests/test_labs_09_variants.py.)"""

from __future__ import annotations

import copy
import json
import math

import pytest

from helpers.labs import TODO, check
from helpers.labs.lesson09 import (
    LIMITS_EXAMPLE,
    SAMPLE_QUESTIONS,
    SUPPORT_MANUAL,
    SUPPORT_TOOLS,
    sample_batch_files,
    show_cache_plan,
    simulate_settings,
    support_request,
)

# --- reference solutions (the contract's) -------------------------------------------------------


def build_batch_lines(questions, model):
    lines = []
    for i, question in enumerate(questions):
        line = {
            "custom_id": f"q-{i}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {
                "model": model,
                "messages": [{"role": "user", "content": question}],
                "max_completion_tokens": 200,
            },
        }
        lines.append(json.dumps(line, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def match_results(custom_ids, output_text, error_text):
    results = {custom_id: None for custom_id in custom_ids}
    for raw in (output_text or "").splitlines() + (error_text or "").splitlines():
        if not raw.strip():
            continue
        line = json.loads(raw)
        custom_id = line.get("custom_id")
        response = line.get("response")
        if custom_id not in results or not response or response.get("status_code") != 200:
            continue
        results[custom_id] = response["body"]["choices"][0]["message"]["content"]
    return results


def choose_settings(rpm, tpm, prompt_tokens, max_tokens, latency_s, share=1.0):
    rpm_budget = rpm * share
    tpm_budget = tpm * share
    per_minute = min(rpm_budget, tpm_budget / (prompt_tokens + max_tokens))
    max_concurrency = max(1, math.ceil(per_minute * latency_s / 60))
    return {"max_concurrency": max_concurrency, "rpm": rpm_budget, "tpm": tpm_budget}


def add_cache_control(request):
    request = copy.deepcopy(request)
    request["system"][0]["cache_control"] = {"type": "ephemeral"}
    return request


REFERENCES = {
    "09-batch-jsonl": build_batch_lines,
    "09-batch-match": match_results,
    "09-limits": choose_settings,
    "09-cache": add_cache_control,
}

PARAMS = {
    "09-batch-jsonl": ["questions", "model"],
    "09-batch-match": ["custom_ids", "output_text", "error_text"],
    "09-limits": ["rpm", "tpm", "prompt_tokens", "max_tokens", "latency_s", "share=1.0"],
    "09-cache": ["request"],
}


@pytest.mark.parametrize(("lab_id", "answer"), sorted(REFERENCES.items()))
def test_reference_solutions_pass(lab_id, answer):
    feedback = check(lab_id, answer)
    assert feedback.passed, str(feedback)
    assert not feedback.failures


def test_the_four_labs_are_registered():
    from helpers.labs import known_labs

    assert {"09-batch-jsonl", "09-batch-match", "09-limits", "09-cache"} <= set(known_labs())


@pytest.mark.parametrize("lab_id", sorted(REFERENCES))
def test_unsolved_is_guidance(lab_id):
    namespace: dict = {}
    exec(f"def stub({', '.join(PARAMS[lab_id])}):\n    return TODO\n", {"TODO": TODO}, namespace)
    assert check(lab_id, TODO).status == "unsolved"
    assert check(lab_id, namespace["stub"]).status == "unsolved"
    assert "TODO" in str(check(lab_id, TODO))


@pytest.mark.parametrize("lab_id", sorted(REFERENCES))
def test_an_answer_that_raises_becomes_feedback(lab_id):
    namespace: dict = {}
    exec(f"def answer({', '.join(PARAMS[lab_id])}):\n    return {{}}['no such key']\n", namespace)
    feedback = check(lab_id, namespace["answer"])
    assert feedback.status == "error", str(feedback)
    assert "KeyError" in str(feedback)


@pytest.mark.parametrize("lab_id", sorted(REFERENCES))
def test_a_value_instead_of_a_function_is_rejected(lab_id):
    feedback = check(lab_id, {"not": "a function"})
    assert feedback.status == "failed", str(feedback)
    assert "함수여야 합니다" in str(feedback)


# --- public helpers -----------------------------------------------------------------------------


def test_sample_questions_hold_a_duplicate_on_purpose():
    assert len(SAMPLE_QUESTIONS) > len(set(SAMPLE_QUESTIONS))


def test_sample_batch_files_parse_as_the_sdk_reads_them():
    from openai.types.chat import ChatCompletion

    files = sample_batch_files()
    output = [json.loads(line) for line in files["output_text"].splitlines()]
    errors = [json.loads(line) for line in files["error_text"].splitlines()]
    for line in output:
        assert line["response"]["status_code"] == 200 and line["error"] is None
        ChatCompletion.model_validate(line["response"]["body"])
    assert {line["custom_id"] for line in output + errors} == set(files["custom_ids"])
    assert [line["custom_id"] for line in output] != sorted(line["custom_id"] for line in output)
    expired = [line for line in errors if line["response"] is None]
    assert expired and expired[0]["error"]["code"] == "batch_expired"
    assert any(line["response"] and line["response"]["status_code"] >= 400 for line in errors)


def test_batch_lines_upload_and_validate_in_the_replay_batch_book():
    """The reference file passes the same validation the replay server applies to uploads."""
    from helpers import catalog
    from helpers.replay.batches import validate_lines

    data = build_batch_lines(SAMPLE_QUESTIONS, catalog.default_model("openai")).encode()
    lines, problems = validate_lines(data, "/v1/chat/completions")
    assert problems == [] and len(lines) == len(SAMPLE_QUESTIONS)


def test_simulate_settings_reports_the_reference_as_clean(capsys):
    result = simulate_settings(choose_settings(**LIMITS_EXAMPLE), **LIMITS_EXAMPLE)
    assert result["ok"] and result["refused_requests"] == result["refused_tokens"] == 0
    assert result["throughput_ratio"] == pytest.approx(1.0)
    assert "429 거절" in capsys.readouterr().out


def test_simulate_settings_shows_429_when_the_share_is_ignored():
    limits = {**LIMITS_EXAMPLE, "share": 0.5}
    result = simulate_settings(choose_settings(**{**limits, "share": 1.0}), **limits)
    assert not result["ok"] and result["refused_tokens"] > 0


def test_simulated_throughput_is_the_tighter_limit():
    # 200,000 TPM / 2,000 tokens = 100 requests a minute; RPM 500 does not bind.
    result = simulate_settings(choose_settings(**LIMITS_EXAMPLE), **LIMITS_EXAMPLE)
    assert result["per_minute"] == pytest.approx(100, rel=0.05)


def test_support_requests_grow_and_only_the_note_changes():
    first, second, third = (support_request(t) for t in (1, 2, 3))
    assert first["system"][0]["text"] == SUPPORT_MANUAL == second["system"][0]["text"]
    assert first["system"][1] != second["system"][1] != third["system"][1]
    assert first["tools"] == SUPPORT_TOOLS == third["tools"]
    assert second["messages"][: len(first["messages"])] == first["messages"]
    assert len(first["messages"]) < len(second["messages"]) < len(third["messages"])
    with pytest.raises(ValueError):
        support_request(4)


def test_support_request_does_not_share_state_between_calls():
    request = support_request(1)
    request["system"][0]["cache_control"] = {"type": "ephemeral"}
    request["tools"][0]["cache_control"] = {"type": "ephemeral"}
    assert "cache_control" not in support_request(1)["system"][0]
    assert "cache_control" not in SUPPORT_TOOLS[0]


def test_the_manual_is_long_enough_and_the_tools_are_not():
    from helpers.labs.lesson09.cache import _prefix_tokens
    from helpers.replay import builder

    body = support_request(1)
    minimum = builder.anthropic_cache_minimum(body["model"])
    assert _prefix_tokens(body, ("system", 0)) >= minimum
    assert _prefix_tokens(body, ("tools", len(SUPPORT_TOOLS) - 1)) < minimum


def test_the_sdk_sends_cache_control_as_given():
    """The grader reads breakpoints from what the SDK sends, so the SDK must keep them."""
    from helpers.labs.lesson09.cache import sent_request

    request = add_cache_control(support_request(1))
    request["cache_control"] = {"type": "ephemeral", "ttl": "1h"}
    sent = sent_request(request)
    assert sent["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert sent["cache_control"] == {"type": "ephemeral", "ttl": "1h"}


def test_show_cache_plan_prints_reads_from_the_second_turn(capsys):
    show_cache_plan(add_cache_control)
    out = capsys.readouterr().out
    assert "1번째 요청" in out and "3번째 요청" in out
    second = out.split("2번째 요청")[1]
    assert "캐시 읽기 0 " not in second


def test_show_cache_plan_explains_instead_of_raising(capsys):
    def broken(request):
        raise RuntimeError("boom")

    show_cache_plan(broken)
    assert "RuntimeError: boom" in capsys.readouterr().out
