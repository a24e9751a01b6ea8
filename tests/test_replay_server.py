"""The replay server answers all three SDKs, streams with timing, matches honestly, and survives."""

from __future__ import annotations

import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import anthropic
import httpx2
import openai
import pytest
from huggingface_hub import InferenceClient, set_client_factory
from huggingface_hub.utils._http import default_client_factory

from helpers.replay import hf_client_factory
from helpers.replay.server import ReplayServer
from helpers.replay.store import FixtureStore
from tests.conftest import anthropic_request, author, hf_request, openai_request

QUESTION = [{"role": "user", "content": "자연어 처리가 무엇인지 한 문장으로 설명해 주세요."}]
ANSWER = "자연어 처리는 컴퓨터가 사람의 언어를 이해하고 생성하도록 돕는 기술입니다."


def oa(server: ReplayServer, **kwargs) -> openai.OpenAI:
    kwargs.setdefault("max_retries", 0)
    return openai.OpenAI(
        api_key="test",
        base_url=server.base_url("openai"),
        _strict_response_validation=True,
        **kwargs,
    )


def an(server: ReplayServer, **kwargs) -> anthropic.Anthropic:
    kwargs.setdefault("max_retries", 0)
    return anthropic.Anthropic(
        api_key="test",
        base_url=server.base_url("anthropic"),
        _strict_response_validation=True,
        **kwargs,
    )


@pytest.fixture
def hf_routed():
    from huggingface_hub.inference._providers import _common

    def route(server: ReplayServer) -> InferenceClient:
        # huggingface_hub caches provider mappings per process; each test brings its own.
        _common._fetch_inference_provider_mapping.cache_clear()
        set_client_factory(hf_client_factory(server.url))
        return InferenceClient(token="hf_replay_mode_placeholder_not_a_real_token")

    yield route
    set_client_factory(default_client_factory)


def chat_body(**extra):
    return {"messages": QUESTION, "model": "gpt-5.4-mini", **extra}


def test_openai_json_and_stream_replay(fixture_dir, make_server):
    author(fixture_dir, "json", openai_request(chat_body()), answer=ANSWER)
    stream_body = chat_body(stream=True, stream_options={"include_usage": True})
    author(fixture_dir, "stream", openai_request(stream_body), answer=ANSWER)
    client = oa(make_server())

    response = client.chat.completions.create(model="gpt-5.4-mini", messages=QUESTION)
    assert response.choices[0].message.content == ANSWER
    assert (
        response.usage.total_tokens
        == response.usage.prompt_tokens + response.usage.completion_tokens
    )

    chunks = list(
        client.chat.completions.create(
            model="gpt-5.4-mini",
            messages=QUESTION,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == ANSWER
    assert len(chunks) > 5, "a stream arrives in many chunks"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0


def test_anthropic_json_stream_and_count_tokens(fixture_dir, make_server):
    body = {"max_tokens": 1024, "messages": QUESTION, "model": "claude-sonnet-4-6", "system": "s"}
    author(fixture_dir, "msg", anthropic_request(body), answer=ANSWER)
    author(fixture_dir, "msg-stream", anthropic_request({**body, "stream": True}), answer=ANSWER)
    count = {"messages": QUESTION, "model": "claude-sonnet-4-6"}
    author(fixture_dir, "count", anthropic_request(count, "/v1/messages/count_tokens"), answer="-")
    client = an(make_server())

    message = client.messages.create(**body)
    assert message.content[0].text == ANSWER and message.stop_reason == "end_turn"
    with client.messages.stream(**body) as stream:
        streamed = "".join(stream.text_stream)
    assert streamed == ANSWER
    assert stream.get_final_message().usage.output_tokens == message.usage.output_tokens
    assert client.messages.count_tokens(**count).input_tokens > 0


def test_huggingface_chat_json_and_stream(fixture_dir, make_server, hf_routed):
    model = "meta-llama/Llama-3.1-8B-Instruct"
    body = {"model": model, "messages": QUESTION, "max_tokens": 100, "stream": False}
    author(fixture_dir, "hf", hf_request(body, "/v1/chat/completions"), answer=ANSWER)
    stream_body = {"model": model, "messages": QUESTION, "stream": True}
    author(fixture_dir, "hf-stream", hf_request(stream_body, "/v1/chat/completions"), answer=ANSWER)
    client = hf_routed(make_server())

    output = client.chat_completion(model=model, messages=QUESTION, max_tokens=100)
    assert output.choices[0].message.content == ANSWER
    pieces = [
        c.choices[0].delta.content
        for c in client.chat_completion(model=model, messages=QUESTION, stream=True)
        if c.choices  # novita ends with a usage chunk that has no choices, as its recordings show
    ]
    assert "".join(p or "" for p in pieces) == ANSWER


def test_identical_requests_get_recorded_answers_in_turn(fixture_dir, make_server):
    body = chat_body(temperature=1.2)
    for i in range(3):
        author(fixture_dir, f"sample-{i}", openai_request(body), answer=f"답변 {i}번입니다.")
    client = oa(make_server())
    seen = [
        client.chat.completions.create(model="gpt-5.4-mini", messages=QUESTION, temperature=1.2)
        .choices[0]
        .message.content
        for _ in range(4)
    ]
    assert seen == ["답변 0번입니다.", "답변 1번입니다.", "답변 2번입니다.", "답변 0번입니다."]


def test_lenient_match_warns_and_strict_refuses(fixture_dir, make_server, capsys):
    author(fixture_dir, "t07", openai_request(chat_body(temperature=0.7)), answer=ANSWER)
    lenient = make_server(strict=False)
    reply = oa(lenient).chat.completions.create(model="gpt-5.4", messages=QUESTION, temperature=0.2)
    assert reply.choices[0].message.content == ANSWER
    warning = capsys.readouterr().err
    assert (
        "매개변수가 다른 저장된 응답" in warning and "temperature" in warning and "model" in warning
    )

    strict = make_server(strict=True)
    with pytest.raises(openai.NotFoundError) as caught:
        oa(strict).chat.completions.create(model="gpt-5.4", messages=QUESTION, temperature=0.2)
    assert "엄격 모드" in str(caught.value) and "temperature" in str(caught.value)


def test_unmatched_request_names_fixture_set_nearest_and_fix(fixture_dir, make_server):
    author(fixture_dir, "near", openai_request(chat_body()), answer=ANSWER)
    server = make_server()
    other = [{"role": "user", "content": "자연어 처리가 무엇인지 두 문장으로 설명해 주세요."}]
    with pytest.raises(openai.NotFoundError) as caught:
        oa(server).chat.completions.create(model="gpt-5.4-mini", messages=other)
    message = str(caught.value)
    assert "저장된 응답이 없습니다" in message
    assert str(fixture_dir) in message, "which fixture set was searched"
    assert "near" in message and "+" in message and "두 문장" in message, "nearest, with a diff"
    assert 'mode="live"' in message and "make record" in message
    assert server.requests_for("openai")[-1].status == 404


def test_speed_scales_recorded_timing(fixture_dir, make_server):
    path = author(fixture_dir, "slow", openai_request(chat_body(stream=True)), answer=ANSWER)
    data = json.loads(path.read_text())
    for event in data["response"]["events"]:
        event[0] = 0.03
    path.write_text(json.dumps(data, ensure_ascii=False))
    recorded = 0.03 * len(data["response"]["events"])

    def arrival_times(speed: float) -> list[float]:
        client = oa(make_server(speed=speed))
        start = time.perf_counter()
        stream = client.chat.completions.create(
            model="gpt-5.4-mini", messages=QUESTION, stream=True
        )
        return [time.perf_counter() - start for _ in stream]

    as_recorded = arrival_times(1.0)
    assert as_recorded[-1] >= 0.9 * recorded
    assert as_recorded[-1] - as_recorded[0] >= 0.5 * recorded, (
        "chunks arrive spread out, not at once"
    )
    assert arrival_times(0)[-1] < as_recorded[-1]


def test_json_answer_waits_its_authored_total_times_speed(fixture_dir, make_server):
    author(fixture_dir, "json", openai_request(chat_body()), answer=ANSWER, timing={"total": 0.4})

    def waited(speed: float) -> float:
        client = oa(make_server(speed=speed))
        start = time.perf_counter()
        client.chat.completions.create(model="gpt-5.4-mini", messages=QUESTION)
        return time.perf_counter() - start

    assert waited(1.0) >= 0.4, "a non-streamed answer arrives only once it is all generated"
    assert waited(0) < 0.4


def test_server_survives_malformed_requests_disconnects_and_load(fixture_dir, make_server):
    author(fixture_dir, "ok", openai_request(chat_body()), answer=ANSWER)
    author(fixture_dir, "s", openai_request(chat_body(stream=True)), answer=ANSWER * 20)
    server = make_server(speed=1.0)
    raw = httpx2.Client(base_url=server.url)
    bad_json = raw.post("/openai/v1/chat/completions", content=b"{not json")
    assert bad_json.status_code == 400 and "JSON" in bad_json.json()["error"]["message"]
    assert raw.get("/nowhere").status_code == 400

    # A client that hangs up mid-stream must not take the server down.
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        body = json.dumps(chat_body(stream=True)).encode()
        head = f"POST /openai/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Length: {len(body)}\r\n\r\n"
        sock.sendall(head.encode() + body)
        assert sock.recv(64).startswith(b"HTTP/1.1 200")

    server.speed = 0
    client = oa(server)

    def ask(_: int) -> str:
        return (
            client.chat.completions.create(model="gpt-5.4-mini", messages=QUESTION)
            .choices[0]
            .message.content
        )

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(ask, range(20)))
    assert answers == [ANSWER] * 20


def test_taken_port_falls_back_to_a_free_one(fixture_dir):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    taken = blocker.getsockname()[1]
    server = ReplayServer(FixtureStore([fixture_dir]), port=taken)
    try:
        assert server.port != taken and "사용 중" in server.port_note
    finally:
        server.close()
        blocker.close()


def test_malformed_fixture_is_reported_not_fatal(fixture_dir, make_server):
    author(fixture_dir, "good", openai_request(chat_body()), answer=ANSWER)
    (fixture_dir / "broken.json").write_text('{"name": "broken"', encoding="utf-8")
    (fixture_dir / "no-origin.json").write_text(
        json.dumps(
            {"name": "x", "provider": "openai", "origin": "guessed", "request": {}, "response": {}}
        ),
        encoding="utf-8",
    )
    server = make_server()
    assert len(server.store.exchanges) == 1
    assert any("broken.json" in e for e in server.store.errors)
    assert any("origin" in e for e in server.store.errors)
    reply = oa(server).chat.completions.create(model="gpt-5.4-mini", messages=QUESTION)
    assert reply.choices[0].message.content == ANSWER


# --- fault injection --------------------------------------------------------------------------


def test_openai_retries_an_injected_429_honouring_retry_after(fixture_dir, make_server):
    author(fixture_dir, "ok", openai_request(chat_body()), answer=ANSWER)
    server = make_server()
    from helpers.replay.faults import Fault

    server.faults.add(Fault("rate_limit", "openai", times=1, retry_after=1.5))
    start = time.perf_counter()
    reply = oa(server, max_retries=2).chat.completions.create(
        model="gpt-5.4-mini", messages=QUESTION
    )
    waited = time.perf_counter() - start
    assert reply.choices[0].message.content == ANSWER
    assert [r.status for r in server.requests_for("openai")] == [429, 200], "the SDK retried once"
    assert waited >= 1.4, "the SDK waited as long as retry-after asked (its own backoff is ~0.5 s)"

    server.faults.add(Fault("rate_limit", "openai", retry_after=2))
    raw = httpx2.post(f"{server.base_url('openai')}/chat/completions", json=chat_body())
    assert raw.status_code == 429
    assert (raw.headers["retry-after"], raw.headers["retry-after-ms"]) == ("2", "2000")

    server.faults.add(Fault("rate_limit", "openai", times=3, retry_after=0.01))
    with pytest.raises(openai.RateLimitError):
        oa(server, max_retries=2).chat.completions.create(model="gpt-5.4-mini", messages=QUESTION)
    assert [r.status for r in server.requests_for("openai")][-3:] == [429, 429, 429]


@pytest.mark.parametrize(
    ("kind", "provider", "expected"),
    [
        ("server_error", "openai", openai.InternalServerError),
        ("overloaded", "anthropic", anthropic.OverloadedError),
        ("rate_limit", "anthropic", anthropic.RateLimitError),
        ("unavailable", "anthropic", anthropic.ServiceUnavailableError),
    ],
)
def test_injected_faults_surface_as_sdk_exceptions(
    fixture_dir, make_server, kind, provider, expected
):
    server = make_server()
    from helpers.replay.faults import Fault

    server.faults.add(Fault(kind, provider))
    with pytest.raises(expected):
        if provider == "openai":
            oa(server).chat.completions.create(model="gpt-5.4-mini", messages=QUESTION)
        else:
            an(server).messages.create(model="claude-sonnet-4-6", max_tokens=10, messages=QUESTION)


def test_hf_credits_fault_is_a_402_http_error(fixture_dir, make_server, hf_routed):
    from huggingface_hub.errors import HfHubHTTPError

    from helpers.replay.faults import Fault

    server = make_server()
    server.faults.add(Fault("credits", "huggingface"))
    client = hf_routed(server)
    with pytest.raises(HfHubHTTPError) as caught:
        client.chat_completion(model="meta-llama/Llama-3.1-8B-Instruct", messages=QUESTION)
    assert caught.value.response.status_code == 402


def test_slow_first_byte_times_out_and_cut_stream_keeps_partial_text(fixture_dir, make_server):
    author(fixture_dir, "ok", openai_request(chat_body()), answer=ANSWER)
    author(fixture_dir, "s", openai_request(chat_body(stream=True)), answer=ANSWER)
    server = make_server()
    from helpers.replay.faults import Fault

    server.faults.add(Fault("slow", "openai", delay=1.0))
    with pytest.raises(openai.APITimeoutError):
        oa(server, timeout=0.2).chat.completions.create(model="gpt-5.4-mini", messages=QUESTION)

    server.faults.add(Fault("cut_stream", "openai", after_events=4))
    received = []
    with pytest.raises((httpx2.RemoteProtocolError, openai.APIError)):
        for chunk in oa(server).chat.completions.create(
            model="gpt-5.4-mini", messages=QUESTION, stream=True
        ):
            received.append(chunk.choices[0].delta.content or "")
    assert 0 < len("".join(received)) < len(ANSWER), "the text before the cut is kept"


def test_forbidden_and_disconnect_faults(fixture_dir, make_server, hf_routed):
    from huggingface_hub.errors import HfHubHTTPError

    from helpers.replay.faults import Fault

    author(fixture_dir, "ok", openai_request(chat_body()), answer=ANSWER)
    server = make_server()
    server.faults.add(Fault("forbidden", "anthropic"))
    with pytest.raises(anthropic.PermissionDeniedError):
        an(server).messages.create(model="claude-sonnet-4-6", max_tokens=10, messages=QUESTION)
    server.faults.add(Fault("forbidden", "huggingface"))
    with pytest.raises(HfHubHTTPError) as caught:
        hf_routed(server).chat_completion(model="x/y", messages=QUESTION)
    assert caught.value.response.status_code == 403

    server.faults.add(Fault("disconnect", "openai"))
    with pytest.raises(openai.APIConnectionError) as dropped:
        oa(server).chat.completions.create(model="gpt-5.4-mini", messages=QUESTION)
    assert isinstance(dropped.value.__cause__, httpx2.RemoteProtocolError)
    assert (server.requests_for("openai")[-1].status, server.requests_for("openai")[-1].note) == (
        0,
        "disconnect",
    ), "no answer at all was sent"
    server.faults.add(Fault("disconnect", "openai"))
    reply = oa(server, max_retries=1).chat.completions.create(
        model="gpt-5.4-mini", messages=QUESTION
    )
    assert reply.choices[0].message.content == ANSWER, "the SDK retries a dropped connection"


def test_drip_stalls_a_stream_chunk_by_chunk(fixture_dir, make_server):
    from helpers.replay.faults import Fault

    author(fixture_dir, "s", openai_request(chat_body(stream=True)), answer=ANSWER)
    server = make_server()

    def read(client) -> list[str]:
        received = []
        stream = client.chat.completions.create(
            model="gpt-5.4-mini", messages=QUESTION, stream=True
        )
        for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")
        return received

    server.faults.add(Fault("drip", "openai", delay=0.05, after_events=2))
    start = time.perf_counter()
    assert "".join(read(oa(server, timeout=0.2))) == ANSWER, "each gap is under the timeout"
    assert time.perf_counter() - start > 0.2, "the stream as a whole outlasts the timeout"

    server.faults.add(Fault("drip", "openai", delay=0.5, after_events=4))
    received: list[str] = []
    with pytest.raises(openai.APITimeoutError):
        stream = oa(server, timeout=0.2).chat.completions.create(
            model="gpt-5.4-mini", messages=QUESTION, stream=True
        )
        for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")
    assert 0 < len("".join(received)) < len(ANSWER), "what arrived before the stall is kept"


def test_unknown_fault_kind_is_a_korean_error(make_server):
    from helpers.replay.faults import Fault

    with pytest.raises(ValueError, match="알 수 없는 장애"):
        make_server().faults.add(Fault("meteor"))


def test_server_thread_is_a_daemon(make_server):
    server = make_server()
    assert any(t.daemon and t.name == "llm-lab-replay" for t in threading.enumerate())
    assert server.url.startswith("http://127.0.0.1:")


LLAMA = "meta-llama/Llama-3.1-8B-Instruct"


def _hub_info(fixture_dir, mapping):
    lookup = hf_request(None, f"/api/models/{LLAMA}", method="GET", host="huggingface.co")
    with_mapping = {"_id": "m", "id": LLAMA, "inferenceProviderMapping": mapping}
    author(
        fixture_dir,
        "mapping",
        {**lookup, "query": "expand=inferenceProviderMapping"},
        model_info=with_mapping,
    )
    plain = {"_id": "m", "id": LLAMA, "pipeline_tag": "text-generation"}
    author(fixture_dir, "info", lookup, model_info=plain)


def test_huggingface_text_generation_after_provider_mapping_lookup(
    fixture_dir, make_server, hf_routed
):
    _hub_info(
        fixture_dir,
        [
            {
                "provider": "hf-inference",
                "providerId": LLAMA,
                "status": "live",
                "task": "text-generation",
            }
        ],
    )
    body = {
        "inputs": "자연어 처리(NLP)란",
        "parameters": {"max_new_tokens": 200, "temperature": 0.7},
    }
    author(fixture_dir, "gen", hf_request(body, f"/hf-inference/models/{LLAMA}"), answer=ANSWER)
    details = {**body, "parameters": {**body["parameters"], "details": True}}
    author(
        fixture_dir,
        "gen-details",
        hf_request(details, f"/hf-inference/models/{LLAMA}"),
        answer=ANSWER,
    )
    server = make_server(strict=True)
    client = hf_routed(server)

    text = client.text_generation(
        prompt="자연어 처리(NLP)란", model=LLAMA, max_new_tokens=200, temperature=0.7
    )
    assert text == ANSWER
    output = client.text_generation(
        prompt="자연어 처리(NLP)란", model=LLAMA, max_new_tokens=200, temperature=0.7, details=True
    )
    assert output.generated_text == ANSWER and output.details.finish_reason == "eos_token"
    paths = [(r.host, r.path) for r in server.requests_for("huggingface")]
    assert ("huggingface.co", f"/api/models/{LLAMA}") in paths, "the mapping was looked up first"


def test_huggingface_text_generation_without_a_provider_raises(fixture_dir, make_server, hf_routed):
    _hub_info(
        fixture_dir,
        [{"provider": "novita", "providerId": "llama", "status": "live", "task": "conversational"}],
    )
    client = hf_routed(make_server(strict=True))
    with pytest.raises(ValueError):
        client.text_generation(prompt="자연어 처리(NLP)란", model=LLAMA, max_new_tokens=20)


def test_faults_from_a_notebook_cell_through_setup(clean_env):
    import helpers
    from helpers import replay

    helpers.setup(mode="replay", quiet=True)
    client = openai.OpenAI(max_retries=0)
    before = len(replay.requests_seen("openai"))
    with replay.fault("server_error", provider="openai"), pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="gpt-5.4-mini", messages=QUESTION)
    assert len(replay.requests_seen("openai")) == before + 1
    assert replay.get_server().faults.pending() == []


def test_anthropic_fault_bodies_carry_a_request_id_that_stays_the_same(fixture_dir, make_server):
    from helpers.replay.faults import Fault
    from helpers.replay.profiles import id_pattern, load_profiles

    pattern = id_pattern(load_profiles()["anthropic"]["ids"]["request"])
    seen = []
    for _ in range(2):  # two servers, the same requests: the same ids (stable saved outputs)
        server = make_server()
        server.faults.add(Fault("overloaded", "anthropic", times=2))
        ids = []
        for _ in range(2):
            with pytest.raises(anthropic.APIStatusError) as caught:
                an(server).messages.create(
                    model="claude-sonnet-4-6", max_tokens=10, messages=QUESTION
                )
            ids.append(caught.value.body["request_id"])
        seen.append(ids)
    assert all(pattern.fullmatch(i) for i in seen[0]), seen
    assert seen[0] == seen[1] and seen[0][0] != seen[0][1], seen
