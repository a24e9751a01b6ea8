"""The batch lifecycles in replay, driven through the real SDKs.

OpenAI: files.create(purpose="batch") → batches.create → retrieve until a final status →
files.content, results matched by custom_id. Anthropic: messages.batches.create → retrieve →
results(). Clients validate every body strictly (`_strict_response_validation=True`), and every
JSONL line is parsed through the SDK's own types.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from itertools import islice
from pathlib import Path

import anthropic
import httpx2
import openai
import pytest
from anthropic.types.messages import (
    MessageBatch,
    MessageBatchIndividualResponse,
    MessageBatchSucceededResult,
)
from openai.types import Batch, FileObject
from openai.types.chat import ChatCompletion

from helpers.replay.faults import Fault
from helpers.replay.server import ReplayServer
from tests.conftest import anthropic_request, author, openai_request

QUESTIONS = ["하늘은 왜 파란가요?", "바다는 왜 짠가요?", "무지개는 왜 생기나요?"]
ANSWERS = ["빛이 산란하기 때문입니다.", "강물이 녹인 광물이 쌓였기 때문입니다.", "-"]
UNRECORDED = "저장된 응답이 없는 질문입니다."
OPENAI_MODEL = "gpt-5.4-mini"
CLAUDE = "claude-sonnet-4-6"
FINAL = ("completed", "failed", "expired", "cancelled")


def oa(server: ReplayServer) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="test",
        base_url=server.base_url("openai"),
        max_retries=0,
        _strict_response_validation=True,
    )


def an(server: ReplayServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="test",
        base_url=server.base_url("anthropic"),
        max_retries=0,
        _strict_response_validation=True,
    )


def chat_body(question: str) -> dict:
    return {"model": OPENAI_MODEL, "messages": [{"role": "user", "content": question}]}


def claude_params(question: str) -> dict:
    return {"model": CLAUDE, "max_tokens": 256, "messages": [{"role": "user", "content": question}]}


@pytest.fixture
def recorded(fixture_dir: Path) -> Path:
    """Fixtures for the first two questions of each provider; the third has none."""
    for index, (question, answer) in enumerate(zip(QUESTIONS[:2], ANSWERS[:2], strict=True)):
        author(fixture_dir, f"oa-{index}", openai_request(chat_body(question)), answer=answer)
        author(
            fixture_dir, f"an-{index}", anthropic_request(claude_params(question)), answer=answer
        )
    return fixture_dir


def jsonl(lines: list[dict]) -> bytes:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()


def batch_lines(questions: list[str]) -> list[dict]:
    return [
        {
            "custom_id": f"q-{index}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": chat_body(question),
        }
        for index, question in enumerate(questions)
    ]


def upload(client: openai.OpenAI, data: bytes, name: str = "batch.jsonl") -> FileObject:
    return client.files.create(file=(name, io.BytesIO(data)), purpose="batch")


def poll_openai(client: openai.OpenAI, batch_id: str) -> tuple[list[str], Batch]:
    statuses = []
    for _ in range(10):
        batch = client.batches.retrieve(batch_id)
        statuses.append(batch.status)
        if batch.status in FINAL:
            return statuses, batch
    raise AssertionError(f"batch never finished: {statuses}")


def read_lines(client: openai.OpenAI, file_id: str | None) -> dict[str, dict]:
    assert file_id is not None
    text = client.files.content(file_id).text
    lines = [json.loads(line) for line in text.splitlines()]
    return {line["custom_id"]: line for line in lines}


# --- OpenAI ------------------------------------------------------------------------------


def test_openai_lifecycle_with_partial_failure(recorded, make_server):
    client = oa(make_server())
    uploaded = upload(client, jsonl(batch_lines([*QUESTIONS[:2], UNRECORDED])))
    assert (uploaded.purpose, uploaded.status, uploaded.filename) == (
        "batch",
        "processed",
        "batch.jsonl",
    )
    assert uploaded.bytes == len(jsonl(batch_lines([*QUESTIONS[:2], UNRECORDED])))
    assert client.files.retrieve(uploaded.id) == uploaded

    batch = client.batches.create(
        input_file_id=uploaded.id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata={"lesson": "09"},
    )
    assert batch.status == "validating" and batch.metadata == {"lesson": "09"}
    # The real API's batch id starts with its creation second in hex.
    assert int(batch.id.removeprefix("batch_")[:8], 16) == batch.created_at
    statuses, done = poll_openai(client, batch.id)

    assert statuses == ["in_progress", "finalizing", "completed"]
    assert done.request_counts.model_dump() == {"completed": 2, "failed": 1, "total": 3}
    assert (
        done.created_at
        < done.in_progress_at
        < done.finalizing_at
        < done.completed_at
        < done.expires_at
        == done.created_at + 24 * 3600
    )
    assert (
        done.model
        == ChatCompletion.model_validate(
            read_lines(client, done.output_file_id)["q-0"]["response"]["body"]
        ).model
    )
    outputs = read_lines(client, done.output_file_id)
    errors = read_lines(client, done.error_file_id)
    assert set(outputs) == {"q-0", "q-1"} and set(errors) == {"q-2"}
    for index in (0, 1):
        line = outputs[f"q-{index}"]
        assert line["error"] is None and line["response"]["status_code"] == 200
        answer = ChatCompletion.model_validate(line["response"]["body"])
        assert answer.choices[0].message.content == ANSWERS[index]
    assert errors["q-2"]["response"]["status_code"] == 404
    assert "저장된 응답이 없습니다" in errors["q-2"]["response"]["body"]["error"]["message"]
    usage = done.usage
    direct = client.chat.completions.create(**chat_body(QUESTIONS[0])).usage
    assert usage.input_tokens >= direct.prompt_tokens and usage.total_tokens > usage.input_tokens
    output_file = client.files.retrieve(done.output_file_id)
    assert output_file.purpose == "batch_output"
    assert [b.id for b in client.batches.list()] == [batch.id]


def test_openai_batch_answers_like_a_direct_request(recorded, make_server):
    client = oa(make_server())
    uploaded = upload(client, jsonl(batch_lines(QUESTIONS[:1])))
    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    _, done = poll_openai(client, batch.id)
    body = read_lines(client, done.output_file_id)["q-0"]["response"]["body"]
    direct = client.chat.completions.create(**chat_body(QUESTIONS[0]))
    assert body == direct.model_dump(mode="json", exclude_unset=True)
    assert done.error_file_id is None


def test_openai_expired_batch_reports_unfinished_requests(recorded, make_server):
    server = make_server()
    client = oa(server)
    server.faults.add(Fault("batch_expired", "openai", finished=1))
    # Another request does not use up a batch fault: only a batch creation takes it.
    client.chat.completions.create(**chat_body(QUESTIONS[0]))
    uploaded = upload(client, jsonl(batch_lines(QUESTIONS[:2])))
    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    statuses, done = poll_openai(client, batch.id)

    assert statuses == ["in_progress", "expired"]
    assert done.expired_at == done.expires_at
    assert done.request_counts.model_dump() == {"completed": 1, "failed": 1, "total": 2}
    assert set(read_lines(client, done.output_file_id)) == {"q-0"}
    expired = read_lines(client, done.error_file_id)["q-1"]
    assert expired["response"] is None and expired["error"]["code"] == "batch_expired"
    assert server.faults.pending() == []


def test_openai_invalid_input_file_fails_with_line_errors(recorded, make_server):
    client = oa(make_server())
    good = batch_lines(QUESTIONS[:1])[0]
    wrong_url = {**good, "custom_id": "other", "url": "/v1/responses"}
    data = jsonl([good]) + b"{not json\n" + jsonl([good, wrong_url])
    batch = client.batches.create(
        input_file_id=upload(client, data).id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
    )
    statuses, failed = poll_openai(client, batch.id)

    assert statuses == ["failed"]
    found = [(e.code, e.line) for e in failed.errors.data]
    assert found == [("invalid_json_line", 2), ("duplicate_custom_id", 3), ("url_mismatch", 4)]
    assert failed.failed_at > failed.created_at
    assert failed.output_file_id is None and failed.error_file_id is None


def test_openai_cancel(recorded, make_server):
    client = oa(make_server())
    uploaded = upload(client, jsonl(batch_lines(QUESTIONS[:2])))
    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    cancelling = client.batches.cancel(batch.id)
    assert cancelling.status == "cancelling" and cancelling.cancelling_at >= batch.created_at
    statuses, cancelled = poll_openai(client, batch.id)
    assert statuses == ["cancelled"] and cancelled.cancelled_at > cancelling.cancelling_at
    assert cancelled.output_file_id is None
    with pytest.raises(openai.BadRequestError) as caught:
        client.batches.cancel(batch.id)
    assert "취소할 수 없습니다" in caught.value.message


def test_openai_refusals_are_korean_and_the_server_keeps_serving(recorded, make_server):
    server = make_server()
    client = oa(server)
    with pytest.raises(openai.BadRequestError, match="purpose"):
        client.files.create(file=("a.jsonl", b"{}"), purpose="nonsense")
    with pytest.raises(openai.BadRequestError, match=".jsonl"):
        client.files.create(file=("a.txt", b"{}"), purpose="batch")
    with pytest.raises(openai.NotFoundError, match="없습니다"):
        client.batches.create(
            input_file_id="file-missing", endpoint="/v1/chat/completions", completion_window="24h"
        )
    with pytest.raises(openai.NotFoundError, match="없습니다"):
        client.batches.retrieve("batch_0000")
    url = f"{server.base_url('openai')}/files"
    broken = httpx2.post(
        url,
        content=b"--xyz\r\nno headers here",
        headers={"content-type": "multipart/form-data; boundary=xyz", "authorization": "Bearer t"},
    )
    assert broken.status_code == 400 and "multipart" in broken.json()["error"]["message"]
    plain = httpx2.post(url, json={"purpose": "batch"}, headers={"authorization": "Bearer t"})
    assert plain.status_code == 400 and "multipart/form-data" in plain.json()["error"]["message"]
    answer = client.chat.completions.create(**chat_body(QUESTIONS[0]))
    assert answer.choices[0].message.content == ANSWERS[0]


def test_polls_never_wait_for_recorded_delays(recorded, make_server):
    path = recorded / "oa-0.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["response"]["delay"] = 30.0
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    client = oa(make_server(speed=1))
    started = time.perf_counter()
    uploaded = upload(client, jsonl(batch_lines(QUESTIONS[:1])))
    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    statuses, _ = poll_openai(client, batch.id)
    assert statuses[-1] == "completed"
    assert time.perf_counter() - started < 5


def test_same_steps_give_the_same_ids_and_times(recorded, make_server):
    def run() -> tuple:
        client = oa(make_server())
        uploaded = upload(client, jsonl(batch_lines(QUESTIONS[:2])))
        batch = client.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        _, done = poll_openai(client, batch.id)
        return uploaded.id, done.model_dump(), client.files.content(done.output_file_id).text

    assert run() == run()


# --- Anthropic ---------------------------------------------------------------------------


def requests_for(questions: list[str]) -> list[dict]:
    return [
        {"custom_id": f"q-{index}", "params": claude_params(question)}
        for index, question in enumerate(questions)
    ]


def poll_anthropic(client: anthropic.Anthropic, batch_id: str) -> tuple[list[str], MessageBatch]:
    statuses = []
    for _ in range(10):
        batch = client.messages.batches.retrieve(batch_id)
        statuses.append(batch.processing_status)
        if batch.processing_status == "ended":
            return statuses, batch
    raise AssertionError(f"batch never ended: {statuses}")


def test_anthropic_lifecycle_with_an_errored_request(recorded, make_server):
    server = make_server()
    client = an(server)
    batch = client.messages.batches.create(requests=requests_for([*QUESTIONS[:2], UNRECORDED]))
    assert batch.processing_status == "in_progress" and batch.results_url is None
    assert batch.request_counts.processing == 3
    assert batch.id.startswith("msgbatch_01") and len(batch.id) == len("msgbatch_01") + 22

    statuses, ended = poll_anthropic(client, batch.id)
    assert statuses == ["in_progress", "ended"]
    assert ended.request_counts.model_dump() == {
        "processing": 0,
        "succeeded": 2,
        "errored": 1,
        "canceled": 0,
        "expired": 0,
    }
    assert ended.results_url.startswith(server.url + "/anthropic/")
    assert ended.created_at < ended.ended_at < ended.expires_at

    results = {r.custom_id: r.result for r in client.messages.batches.results(batch.id)}
    assert set(results) == {"q-0", "q-1", "q-2"}
    for index in (0, 1):
        result = results[f"q-{index}"]
        assert isinstance(result, MessageBatchSucceededResult)
        assert result.message.content[0].text == ANSWERS[index]
    assert results["q-2"].type == "errored"
    assert results["q-2"].error.error.type == "invalid_request_error"
    assert "저장된 응답이 없습니다" in results["q-2"].error.error.message
    assert [b.id for b in client.messages.batches.list()] == [batch.id]


def test_anthropic_results_lines_parse_as_sdk_types(recorded, make_server):
    server = make_server()
    client = an(server)
    batch = client.messages.batches.create(requests=requests_for(QUESTIONS[:2]))
    _, ended = poll_anthropic(client, batch.id)
    raw = httpx2.get(ended.results_url, headers={"x-api-key": "t"})
    assert raw.status_code == 200
    lines = raw.text.splitlines()
    assert len(lines) == 2
    for line in lines:
        parsed = MessageBatchIndividualResponse.model_validate_json(line)
        assert parsed.result.type == "succeeded"
    wire = httpx2.get(f"{server.base_url('anthropic')}/v1/messages/batches/{batch.id}").json()
    MessageBatch.model_validate(wire)
    assert list(wire)[:4] == ["id", "type", "processing_status", "request_counts"]


def test_anthropic_cancel_and_expiry(recorded, make_server):
    server = make_server()
    client = an(server)
    batch = client.messages.batches.create(requests=requests_for(QUESTIONS[:2]))
    canceling = client.messages.batches.cancel(batch.id)
    assert canceling.processing_status == "canceling" and canceling.cancel_initiated_at
    _, ended = poll_anthropic(client, batch.id)
    assert ended.request_counts.canceled == 2
    assert {r.result.type for r in client.messages.batches.results(batch.id)} == {"canceled"}
    with pytest.raises(anthropic.BadRequestError, match="취소할 수 없습니다"):
        client.messages.batches.cancel(batch.id)

    server.faults.add(Fault("batch_expired", "anthropic", finished=1))
    batch = client.messages.batches.create(requests=requests_for(QUESTIONS[:2]))
    _, ended = poll_anthropic(client, batch.id)
    assert (ended.request_counts.succeeded, ended.request_counts.expired) == (1, 1)
    assert ended.ended_at == ended.expires_at
    types = {r.custom_id: r.result.type for r in client.messages.batches.results(batch.id)}
    assert types == {"q-0": "succeeded", "q-1": "expired"}


def test_anthropic_refusals(recorded, make_server):
    client = an(make_server())
    twice = requests_for(QUESTIONS[:1]) * 2
    with pytest.raises(anthropic.BadRequestError, match="두 번"):
        client.messages.batches.create(requests=twice)
    with pytest.raises(anthropic.BadRequestError, match="한 개 이상"):
        client.messages.batches.create(requests=[])
    batch = client.messages.batches.create(requests=requests_for(QUESTIONS[:1]))
    with pytest.raises(anthropic.AnthropicError, match="results_url"):
        client.messages.batches.results(batch.id)  # the first poll: still in progress
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.retrieve("msgbatch_01nothere")


# --- async -------------------------------------------------------------------------------


def test_async_clients_run_the_same_lifecycles(recorded, make_server):
    server = make_server()

    async def run() -> None:
        oa_async = openai.AsyncOpenAI(
            api_key="test", base_url=server.base_url("openai"), _strict_response_validation=True
        )
        an_async = anthropic.AsyncAnthropic(
            api_key="test", base_url=server.base_url("anthropic"), _strict_response_validation=True
        )
        uploaded = await oa_async.files.create(
            file=("b.jsonl", jsonl(batch_lines(QUESTIONS[:2]))), purpose="batch"
        )
        batch = await oa_async.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        while batch.status not in FINAL:
            batch = await oa_async.batches.retrieve(batch.id)
        assert batch.status == "completed" and batch.request_counts.completed == 2
        content = await oa_async.files.content(batch.output_file_id)
        assert len(content.text.splitlines()) == 2

        message_batch = await an_async.messages.batches.create(requests=requests_for(QUESTIONS[:2]))
        while message_batch.processing_status != "ended":
            message_batch = await an_async.messages.batches.retrieve(message_batch.id)
        results = [r async for r in await an_async.messages.batches.results(message_batch.id)]
        assert sorted(r.custom_id for r in results) == ["q-0", "q-1"]
        await oa_async.close()
        await an_async.close()

    asyncio.run(run())


def test_batch_fault_settings_are_checked():
    from helpers.replay.faults import FaultQueue

    queue = FaultQueue()
    with pytest.raises(ValueError, match="finished는 0 이상"):
        queue.add(Fault("batch_expired", "openai", finished=-1))
    with pytest.raises(ValueError, match="batch_expired"):
        queue.add(Fault("batch_expird", "openai"))
    queued = queue.add(Fault("batch_expired", "openai"))
    assert queue.take("openai") is None, "an ordinary request must not use up a batch fault"
    assert queue.take("openai", kinds=("batch_expired",)) is queued


REFUSED = "너무 긴 질문입니다."
TOO_LONG = "This model's maximum context length was exceeded."


def test_a_recorded_refusal_is_a_failed_request_in_both_apis(recorded, make_server):
    error = {"message": TOO_LONG, "type": "invalid_request_error"}
    author(
        recorded, "oa-400", openai_request(chat_body(REFUSED)), answer="-", status=400, error=error
    )
    params = claude_params(REFUSED)
    author(recorded, "an-400", anthropic_request(params), answer="-", status=400, error=error)
    server = make_server()
    client = oa(server)
    uploaded = upload(client, jsonl(batch_lines([QUESTIONS[0], REFUSED])))
    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    _, done = poll_openai(client, batch.id)
    assert done.request_counts.model_dump() == {"completed": 1, "failed": 1, "total": 2}
    refused = read_lines(client, done.error_file_id)["q-1"]
    assert refused["error"] is None and refused["response"]["status_code"] == 400
    assert refused["response"]["body"]["error"]["message"] == TOO_LONG

    claude = an(server)
    message_batch = claude.messages.batches.create(requests=requests_for([QUESTIONS[0], REFUSED]))
    poll_anthropic(claude, message_batch.id)
    results = {r.custom_id: r.result for r in claude.messages.batches.results(message_batch.id)}
    assert results["q-0"].type == "succeeded" and results["q-1"].type == "errored"
    assert results["q-1"].error.error.message == TOO_LONG


def test_a_streamed_request_in_a_batch_is_refused(recorded, make_server):
    streamed = {**chat_body(QUESTIONS[0]), "stream": True}
    author(recorded, "oa-stream", openai_request(streamed), answer=ANSWERS[0])
    client = oa(make_server())
    line = {**batch_lines(QUESTIONS[:1])[0], "body": streamed}
    batch = client.batches.create(
        input_file_id=upload(client, jsonl([line])).id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
    )
    _, done = poll_openai(client, batch.id)
    refused = read_lines(client, done.error_file_id)["q-0"]["response"]
    assert refused["status_code"] == 400 and "스트리밍" in refused["body"]["error"]["message"]
    assert done.output_file_id is None


def test_record_mode_forwards_batch_requests_untouched(tmp_path):
    """In record mode the upload (multipart, byte for byte) and polls go to the real API."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    from helpers.replay.store import FixtureStore

    seen: list[tuple[str, str, str, bytes]] = []

    class Upstream(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            raw = self.rfile.read(int(self.headers["content-length"]))
            seen.append(("POST", self.path, self.headers["content-type"], raw))
            self._answer(
                {"object": "file", "id": "file-up", "purpose": "batch", "filename": "b.jsonl",
                 "bytes": 3, "created_at": 1, "status": "processed"}
            )  # fmt: skip

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    Thread(target=httpd.serve_forever, daemon=True).start()
    server = ReplayServer(FixtureStore([tmp_path / "none"]), speed=0)
    server.modes = {"openai": "record"}
    server.upstreams["openai"] = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        uploaded = oa(server).files.create(file=("b.jsonl", b"{}\n"), purpose="batch")
    finally:
        server.close()
        httpd.shutdown()
    assert uploaded.id == "file-up"
    method, path, content_type, raw = seen[0]
    assert (method, path) == ("POST", "/v1/files")
    assert content_type.startswith("multipart/form-data; boundary=")
    assert b'name="purpose"' in raw and b"{}\n" in raw
    assert server.batches.files == {}, "record mode keeps no replay state"


def test_files_and_message_batches_can_be_deleted(recorded, make_server):
    server = make_server()
    client = oa(server)
    uploaded = upload(client, jsonl(batch_lines(QUESTIONS[:1])))
    deleted = client.files.delete(uploaded.id)
    assert (deleted.id, deleted.deleted) == (uploaded.id, True)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(uploaded.id)

    claude = an(server)
    batch = claude.messages.batches.create(requests=requests_for(QUESTIONS[:1]))
    with pytest.raises(anthropic.BadRequestError, match="지울 수 없습니다"):
        claude.messages.batches.delete(batch.id)
    poll_anthropic(claude, batch.id)
    assert claude.messages.batches.delete(batch.id).type == "message_batch_deleted"
    assert list(claude.messages.batches.list()) == []


def test_lists_page_through_every_batch(recorded, make_server):
    server = make_server()
    client = oa(server)
    uploaded = upload(client, jsonl(batch_lines(QUESTIONS[:1])))
    made = [
        client.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        ).id
        for _ in range(5)
    ]
    first = client.batches.list(limit=2)
    assert [b.id for b in first.data] == made[::-1][:2] and first.has_more
    # islice bounds the walk: a server that ignored the cursor would repeat pages forever.
    walked = islice(client.batches.list(limit=2), 10)
    assert [b.id for b in walked] == made[::-1], "auto-pagination ends"

    claude = an(server)
    made = [claude.messages.batches.create(requests=requests_for(QUESTIONS[:1])).id for _ in "abc"]
    assert [b.id for b in islice(claude.messages.batches.list(limit=2), 10)] == made[::-1]


def test_strict_replay_refuses_a_batch_with_an_unstored_request(recorded, make_server):
    # CI's strict pass must fail on a batch request nobody authored, as it does on a direct
    # request; a lenient server lets it fail inside the batch (the partial-failure tests above).
    server = make_server(strict=True)
    client = oa(server)
    uploaded = upload(client, jsonl(batch_lines([QUESTIONS[0], UNRECORDED])))
    with pytest.raises(openai.NotFoundError, match="저장된 응답이 없습니다") as caught:
        client.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
    assert "custom_id" in str(caught.value)
    with pytest.raises(anthropic.NotFoundError, match="저장된 응답이 없습니다"):
        an(server).messages.batches.create(requests=requests_for([QUESTIONS[0], UNRECORDED]))


def test_strict_replay_runs_a_batch_whose_requests_are_all_stored(recorded, make_server):
    client = oa(make_server(strict=True))
    uploaded = upload(client, jsonl(batch_lines(QUESTIONS[:2])))
    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    assert poll_openai(client, batch.id)[1].request_counts.completed == 2


def test_capture_lists_the_requests_inside_a_batch_not_its_endpoints(
    recorded, make_server, tmp_path
):
    # `tools.fixtures capture` turns every captured line into a spec entry: the batch's own
    # endpoints (files, batches, polls) are not fixtures, the requests inside it are.
    server = make_server()
    server.capture_path = tmp_path / "capture.jsonl"
    client = oa(server)
    uploaded = upload(client, jsonl(batch_lines([QUESTIONS[0], UNRECORDED])))
    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    poll_openai(client, batch.id)
    an(server).messages.batches.create(requests=requests_for([QUESTIONS[1]]))
    lines = [json.loads(x) for x in server.capture_path.read_text("utf-8").splitlines()]
    assert [(x["provider"], x["path"]) for x in lines] == [
        ("openai", "/v1/chat/completions"),
        ("openai", "/v1/chat/completions"),
        ("anthropic", "/v1/messages"),
    ]
    assert [x["body"] for x in lines[:2]] == [chat_body(QUESTIONS[0]), chat_body(UNRECORDED)]
