"""helpers.compare: the three canonical streamed calls, one normalised record per call, a concurrent
run in which one provider's failure stays one row, the task file, and the tables."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import anthropic
import openai
import pytest
from huggingface_hub import InferenceClient, set_client_factory
from huggingface_hub.utils._http import default_client_factory

from helpers import catalog, compare
from helpers.compare import Reply, Result, Task, TaskFileError
from helpers.replay import hf_client_factory
from helpers.replay.fixture import load_file
from helpers.session import MODE_LABELS
from tests.conftest import anthropic_request, author, hf_request, openai_request, sse_payloads

MODELS = {p: catalog.default_model(p) for p in ("openai", "anthropic", "huggingface")}
SYSTEM = compare.DEFAULT_SYSTEM["ko"]
TASK = Task(
    id="t1", kind="요약", prompt="토큰이 무엇인지 한 문장으로 설명해 주세요.", max_tokens=100
)
TASK2 = Task(id="t2", kind="번역", prompt="'안녕하세요'를 영어로 번역해 주세요.", max_tokens=50)
ANSWERS = {
    "openai": "토큰은 모델이 텍스트를 나누어 처리하는 가장 작은 단위입니다.",
    "anthropic": "토큰은 언어 모델이 텍스트를 읽고 쓰는 기본 단위입니다.",
    "huggingface": "토큰은 텍스트를 작은 조각으로 나눈 단위입니다.",
}
HANGUL = re.compile("[가-힣]")
# (input, output) tokens each provider's stream reports, read from the built fixtures
USAGE: dict[str, tuple[int, int]] = {}


def _stream_usage(path: Path) -> tuple[int, int]:
    final = None
    for payload in sse_payloads(load_file(path).events):
        final = payload.get("usage") or final
    if "prompt_tokens" in final:
        return final["prompt_tokens"], final["completion_tokens"]
    return final["input_tokens"], final["output_tokens"]


def request_for(provider: str, task: Task, lang: str = "ko") -> dict:
    """The request each call function sends, as the SDK puts it on the wire."""
    system, prompt, limit = task.system_for(lang), task.prompt_for(lang), task.max_tokens
    user = [{"role": "user", "content": prompt}]
    if provider == "openai":
        body = {
            "model": MODELS["openai"],
            "messages": [{"role": "developer", "content": system}, *user],
            "max_completion_tokens": limit,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        return openai_request(body)
    if provider == "anthropic":
        body = {
            "model": MODELS["anthropic"],
            "max_tokens": limit,
            "system": system,
            "messages": user,
            "stream": True,
        }
        return anthropic_request(body)
    body = {
        "model": MODELS["huggingface"],
        "messages": [{"role": "system", "content": system}, *user],
        "max_tokens": limit,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    return hf_request(body, "/v1/chat/completions")


SHORT = Task(id="t3", kind="요약", prompt="길게 설명해 주세요.", max_tokens=3)


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One strict replay server for the module (closing a server costs half a second)."""
    from helpers.replay.server import ReplayServer
    from helpers.replay.store import FixtureStore

    folder = tmp_path_factory.mktemp("compare-fixtures")
    for provider, answer in ANSWERS.items():
        for task in (TASK, TASK2):
            name = f"{provider}-{task.id}"
            built = author(folder, name, request_for(provider, task), answer=answer)
            USAGE.setdefault(provider, _stream_usage(built))
        author(folder, f"{provider}-short", request_for(provider, SHORT), answer=answer)
    server = ReplayServer(FixtureStore([folder]), speed=0, strict=True)
    yield server
    server.close()


@pytest.fixture
def server(shared_server):
    shared_server.faults.clear()
    shared_server.requests.clear()
    set_client_factory(hf_client_factory(shared_server.url))
    yield shared_server
    set_client_factory(default_client_factory)


@pytest.fixture
def clients(server):
    key = "test-key-for-compare"
    return {
        "openai": openai.OpenAI(api_key=key, base_url=server.base_url("openai")),
        "anthropic": anthropic.Anthropic(api_key=key, base_url=server.base_url("anthropic")),
        "huggingface": InferenceClient(token="hf_replay_mode_placeholder_not_a_real_token"),
    }


# --- the task file -----------------------------------------------------------------------------


def test_packaged_task_set_has_five_kinds_in_korean_and_english():
    tasks = compare.load_tasks()
    assert len(tasks) >= 5
    assert {"요약", "번역", "분류", "코드 설명", "창작"} <= {t.kind for t in tasks}
    assert len({t.id for t in tasks}) == len(tasks)
    for task in tasks:
        assert HANGUL.search(task.prompt), task.id
        assert task.prompt_en and not HANGUL.search(task.prompt_en), task.id
        assert task.system != task.system_en


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"tasks": [{"id": "a", "kind": "요약"}]}', "prompt"),
        (
            '[{"id": "a", "kind": "k", "prompt": "질문"}, {"id": "a", "kind": "k", "prompt": "또"}]',
            "두 번",
        ),
        ('[{"id": "a", "kind": "k", "prompt": "질문", "max_tokens": "100"}]', "max_tokens"),
        ('[{"id": "a", "kind": "k", "prompt": "질문", "prompt_ko": "x"}]', "모르는 항목"),
        ('{"tasks": []}', "작업 목록"),
        ('{"tasks": [', "JSON"),
    ],
)
def test_a_task_file_it_cannot_use_gets_a_korean_reason(tmp_path, content, message):
    path = tmp_path / "tasks.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TaskFileError, match=message):
        compare.load_tasks(path)


def test_missing_task_file_says_so(tmp_path):
    with pytest.raises(TaskFileError, match="찾지 못했습니다"):
        compare.load_tasks(tmp_path / "nope.json")


def test_an_instructors_task_list_loads_with_the_default_system(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps([{"id": "x", "kind": "요약", "prompt": "질문"}]), encoding="utf-8")
    (task,) = compare.load_tasks(path)
    assert task.system == compare.DEFAULT_SYSTEM["ko"] and task.prompt_en is None
    assert task.max_tokens == 300


def test_select_providers_keeps_the_series_order_and_rejects_unknown_names():
    assert compare.select_providers(" huggingface, openai ") == ["openai", "huggingface"]
    assert compare.select_providers(["anthropic"]) == ["anthropic"]
    assert compare.select_providers(None) == ["openai", "anthropic", "huggingface"]
    with pytest.raises(ValueError, match="알 수 없는 공급자"):
        compare.select_providers("openai,gemini")


# --- one call, one record ----------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["openai", "anthropic", "huggingface"])
def test_call_normalises_each_providers_streamed_answer(clients, provider):
    result = compare.call(provider, clients[provider], MODELS[provider], TASK)
    assert result.error is None, result.error
    assert result.answer == ANSWERS[provider]
    assert (result.input_tokens, result.output_tokens) == USAGE[provider]
    assert result.finish_reason == {"anthropic": "end_turn"}.get(provider, "stop")
    assert result.truncated is False
    assert 0 < result.ttft_s <= result.latency_s
    assert result.cost_usd == catalog.estimate_cost(MODELS[provider], *USAGE[provider])
    assert catalog.resolve(result.answered_model) == MODELS[provider], "the stream names its model"
    if provider == "huggingface":
        assert result.cost_usd is None, "Llama has no price in models.json"
    else:
        assert result.cost_usd > 0


@pytest.mark.parametrize(
    ("provider", "reason"),
    [("openai", "length"), ("anthropic", "max_tokens"), ("huggingface", "length")],
)
def test_an_answer_cut_at_the_limit_is_marked_truncated(clients, provider, reason):
    result = compare.call(provider, clients[provider], MODELS[provider], SHORT)
    assert result.finish_reason == reason and result.truncated is True
    assert ANSWERS[provider].startswith(result.answer) and result.answer != ANSWERS[provider]


def test_a_replay_miss_is_a_korean_error_row(clients):
    unknown = Task(id="new", kind="창작", prompt="저장된 응답이 없는 질문입니다.")
    result = compare.call("openai", clients["openai"], MODELS["openai"], unknown)
    assert result.error.startswith("리플레이 픽스처 없음") and "NotFoundError" in result.error
    assert result.answer == "" and result.latency_s is not None


def test_a_task_without_english_is_an_error_row_not_a_crash(clients):
    result = compare.call("openai", clients["openai"], MODELS["openai"], TASK, lang="en")
    assert "질문이 없습니다" in result.error


# --- many calls at once ------------------------------------------------------------------------


def test_run_keeps_other_providers_when_one_gets_a_429(server, clients):
    from helpers.replay.faults import Fault

    server.faults.add(Fault("rate_limit", "huggingface"))
    comparison = compare.run(clients, MODELS, [TASK, TASK2], progress=False)
    rows = [(r.task, r.provider) for r in comparison.results]
    assert rows == [(t.id, p) for t in (TASK, TASK2) for p in clients], "task × provider order"
    failed = [r for r in comparison.results if r.error]
    assert [(r.provider, r.task) for r in failed] == [("huggingface", "t1")]
    assert failed[0].error.startswith("요청 한도 초과(429)")
    assert all(r.answer == ANSWERS[r.provider] for r in comparison.results if r.ok)
    assert "오류 1건" in comparison.summary()


def test_sdk_retries_hide_a_single_429_from_openai_and_anthropic(server, clients):
    from helpers.replay.faults import Fault

    for provider in ("openai", "anthropic"):
        server.faults.add(Fault("rate_limit", provider, retry_after=0.01))
    comparison = compare.run(clients, MODELS, [TASK], progress=False)
    assert all(r.ok for r in comparison.results)
    statuses = [r.status for r in server.requests_for("anthropic")]
    assert statuses == [429, 200]


def _barrier_calls(parties: int, timeout: float):
    barrier = threading.Barrier(parties, timeout=timeout)

    def fake(client, model, system, prompt, max_tokens):
        barrier.wait()  # passes only when every provider is calling at the same time
        return Reply(text="ok", ttft_s=0.0, input_tokens=1, output_tokens=1, finish_reason="stop")

    return dict.fromkeys(("openai", "anthropic", "huggingface"), fake)


def test_providers_are_called_at_the_same_time():
    fakes = _barrier_calls(3, timeout=10)
    clients = dict.fromkeys(fakes)
    comparison = compare.run(clients, MODELS, [TASK], calls=fakes, progress=False)
    assert comparison.concurrent and all(r.ok for r in comparison.results)


def test_a_sequential_run_cannot_pass_the_same_barrier():
    fakes = _barrier_calls(3, timeout=0.2)
    clients = dict.fromkeys(fakes)
    comparison = compare.run(clients, MODELS, [TASK], calls=fakes, progress=False, concurrent=False)
    assert not comparison.concurrent
    assert all("BrokenBarrierError" in r.error for r in comparison.results)


def test_one_provider_never_gets_two_requests_at_once():
    active: dict[str, int] = {}
    overlaps: list[str] = []
    lock = threading.Lock()

    def make(provider):
        def fake(client, model, system, prompt, max_tokens):
            with lock:
                active[provider] = active.get(provider, 0) + 1
                if active[provider] > 1:
                    overlaps.append(provider)
            threading.Event().wait(0.01)
            with lock:
                active[provider] -= 1
            return Reply(text=prompt)

        return fake

    fakes = {p: make(p) for p in MODELS}
    tasks = [Task(id=f"t{i}", kind="k", prompt=f"질문 {i}") for i in range(4)]
    comparison = compare.run(dict.fromkeys(fakes), MODELS, tasks, calls=fakes, progress=False)
    assert overlaps == []
    assert [r.answer for r in comparison.results if r.provider == "openai"] == [
        t.prompt for t in tasks
    ]


def test_a_crashing_call_function_is_contained():
    def broken(client, model, system, prompt, max_tokens):
        raise RuntimeError("boom")

    def fine(client, model, system, prompt, max_tokens):
        return Reply(text="ok")

    calls = {"openai": fine, "anthropic": broken}
    comparison = compare.run(dict.fromkeys(calls), MODELS, [TASK], calls=calls, progress=False)
    assert [r.ok for r in comparison.results] == [True, False]
    assert comparison.results[1].error == "RuntimeError: boom"


def test_a_bug_below_call_still_delivers_a_row(monkeypatch):
    real_call = compare.call

    def flaky(provider, *args, **kwargs):
        if provider == "anthropic":
            raise RuntimeError("bug")
        return real_call(provider, *args, **kwargs)

    monkeypatch.setattr(compare, "call", flaky)
    fine = {"openai": lambda *a: Reply(text="ok"), "anthropic": lambda *a: Reply(text="ok")}
    comparison = compare.run(dict.fromkeys(fine), MODELS, [TASK], calls=fine, progress=False)
    assert [r.error for r in comparison.results] == [None, "RuntimeError: bug"]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_worker_that_dies_leaves_a_row_instead_of_a_hang(monkeypatch):
    def dies(provider, *args, **kwargs):
        raise SystemExit  # not an Exception: it ends the worker thread silently

    monkeypatch.setattr(compare, "call", dies)
    fine = {"openai": lambda *a: Reply(text="ok"), "anthropic": lambda *a: Reply(text="ok")}
    comparison = compare.run(dict.fromkeys(fine), MODELS, [TASK], calls=fine, progress=False)
    assert [r.provider for r in comparison.results] == ["openai", "anthropic"]
    assert all(r.error.startswith("결과를 받지 못했습니다") for r in comparison.results)


def test_duplicate_task_ids_are_refused():
    with pytest.raises(ValueError, match="겹칩니다"):
        compare.run({"openai": None}, MODELS, [TASK, TASK], progress=False)


# --- errors in Korean --------------------------------------------------------------------------


class _Response:
    def __init__(self, status, headers=None):
        self.status_code = status
        self.headers = headers or {}


class HfHubHTTPError(Exception):
    """Shaped like huggingface_hub's: the status lives on .response."""

    def __init__(self, status, headers=None):
        super().__init__(f"{status} Client Error")
        self.response = _Response(status, headers)


class APIStatusError(Exception):
    def __init__(self, status):
        super().__init__(f"Error code: {status}")
        self.status_code = status


@pytest.mark.parametrize(
    ("exc", "start"),
    [
        (APIStatusError(401), "인증 실패(401)"),
        (APIStatusError(429), "요청 한도 초과(429)"),
        (APIStatusError(529), "과부하(529)"),
        (APIStatusError(418), "HTTP 418 오류."),
        (APIStatusError(599), "HTTP 599 오류: 서버 쪽 문제"),
        (HfHubHTTPError(503), "서비스 일시 중단(503)"),
        (HfHubHTTPError(404, {"x-llm-lab-miss": "1"}), "리플레이 픽스처 없음"),
        (TypeError("Could not resolve authentication method."), "키 없음"),
        (ConnectionRefusedError("refused"), "연결 실패"),
        (TimeoutError("timed out"), "시간 초과"),
        (ValueError(""), "ValueError"),
    ],
)
def test_describe_error_explains_in_korean(exc, start):
    text = compare.describe_error(exc)
    assert text.startswith(start), text
    assert type(exc).__name__ in text


REFUSED = "Unsupported parameter: 'temperature' is not supported with this model."


@pytest.mark.parametrize("provider", ["openai", "anthropic", "huggingface"])
@pytest.mark.parametrize("status", [400, 404, 422])
def test_a_refused_request_quotes_the_apis_reason(provider, status):
    # each SDK builds its own exception from the response (openai: body, anthropic:
    # api_message, huggingface_hub: only the response), and each one's reason is found
    from helpers.explain import sdk_status_error

    text = compare.describe_error(sdk_status_error(provider, status, message=REFUSED))
    assert text.startswith(compare._STATUS_TEXT[status]), text
    assert f"서버의 설명: {REFUSED}" in text, text


@pytest.mark.parametrize("provider", ["openai", "anthropic", "huggingface"])
def test_a_rate_limit_does_not_quote_the_server(provider):
    from helpers.explain import sdk_status_error

    text = compare.describe_error(sdk_status_error(provider, 429, message="Rate limit reached."))
    assert "서버의 설명" not in text and text.startswith("요청 한도 초과(429)"), text


def test_a_long_or_multiline_reason_stays_one_short_line():
    from helpers.explain import sdk_status_error

    long = "first line\n" + "x" * 400
    text = compare.describe_error(sdk_status_error("openai", 400, message=long))
    detail = text.split("서버의 설명: ", 1)[1]
    assert "\n" not in text and detail.startswith("first line x")
    assert len(detail) <= compare._SERVER_DETAIL_CHARS + len(" [BadRequestError]")


def test_a_refused_parameter_is_named_in_the_row():
    # a model that refuses a parameter: the row says which, the other rows are untouched
    from helpers.explain import sdk_status_error

    def refuses(client, model, system, prompt, max_tokens):
        raise sdk_status_error("openai", 400, message=REFUSED)

    result = compare.call("openai", None, MODELS["openai"], TASK, calls={"openai": refuses})
    assert result.error.startswith("잘못된 요청(400)") and "'temperature'" in result.error
    assert result.error.endswith("[BadRequestError]")


# --- tables ------------------------------------------------------------------------------------


def _results(openai_mode="live", hf_mode="replay"):
    ok = Result("openai", "gpt-5.4-mini", "t1", "요약", "ko", 1.0, 0.2, 100, 50, 0.0003, "stop")
    ok.truncated, ok.answer = False, "답"
    cut = Result("openai", "gpt-5.4-mini", "t2", "번역", "ko", 3.0, 0.4, 80, 20, 0.0001, "length")
    cut.truncated = True
    llama = Result("huggingface", MODELS["huggingface"], "t1", "요약", "ko", 2.0, 0.3, 90, 40)
    llama.finish_reason, llama.truncated = "stop", False
    failed = Result("huggingface", MODELS["huggingface"], "t2", "번역", "ko", 0.1)
    failed.error = "요청 한도 초과(429): 잠시 뒤 다시 시도하세요. [HfHubHTTPError]"
    for result in (ok, cut):
        result.mode = openai_mode
    for result in (llama, failed):
        result.mode = hf_mode
    return [ok, cut, llama, failed]


def test_frame_is_tidy_with_nullable_numbers():
    frame = compare.to_frame(_results())
    assert list(frame.columns) == compare.COLUMNS
    assert str(frame["input_tokens"].dtype) == "Int64"
    assert frame["cost_usd"].isna().tolist() == [False, False, True, True]


def test_summary_counts_only_successful_calls():
    table = compare.summary_table(compare.to_frame(_results()))
    openai_row, llama_row = table.loc["OpenAI"], table.loc["Hugging Face"]
    assert openai_row["성공"] == "2/2" and llama_row["성공"] == "1/2"
    assert openai_row["평균 지연(초)"] == pytest.approx(2.0)
    assert llama_row["평균 지연(초)"] == pytest.approx(2.0), "the failed call's 0.1 s is left out"
    assert openai_row["예상 비용(합)"] == pytest.approx(0.0004)
    assert llama_row["예상 비용(합)"] != llama_row["예상 비용(합)"], "no price → NaN, not 0"
    assert openai_row["잘린 답변"] == 1


def test_styled_tables_render_stably_with_a_plain_text_form():
    frame = compare.to_frame(_results())
    styled = compare.style_results(frame)
    html = styled.to_html()
    assert html == compare.style_results(frame).to_html(), "no random ids"
    assert "#fde2e1" in html and "요청 한도 초과" in html
    assert "가격 정보 없음" in html
    assert repr(styled).splitlines()[0].split()[:3] == ["공급자", "모드", "모델"]
    summary = compare.style_summary(compare.summary_table(frame)).to_html()
    assert "가격 정보 없음" in summary and "#d9f2e4" in summary


# --- honest derived numbers: who answered, and whether it was measured ----------------------------

BEST = "#d9f2e4"
REPLAY_NOTE = "작성한 예시 응답"


def _best_cells(styler) -> set:
    """(row, column) labels of the cells the rendered table marks as the best."""
    html = styler.to_html()
    cells = set()
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", html.split("</style>")[0]):
        if BEST in body:
            for row, col in re.findall(r"_row(\d+)_col(\d+)", selectors):
                cells.add((styler.data.index[int(row)], styler.data.columns[int(col)]))
    return cells


def _highlighted(styler) -> set:
    """The index labels of the rows a Styler marks as the best."""
    return {row for row, _ in _best_cells(styler)}


def _timed(provider, mode, latency, cost, task="t1"):
    result = Result(provider, MODELS[provider], task, "요약", "ko", latency, latency / 4, 10, 5)
    result.cost_usd, result.mode, result.finish_reason = cost, mode, "stop"
    return result


def test_tables_and_the_frame_carry_the_mode():
    frame = compare.to_frame(_results())
    assert frame["mode"].tolist() == ["live", "live", "replay", "replay"]
    assert "answered_model" in frame.columns
    live, replay = MODE_LABELS["live"], MODE_LABELS["replay"]
    assert compare.style_results(frame).data["모드"].tolist() == [live, live, replay, replay]
    table = compare.summary_table(frame)
    assert table["모드"].tolist() == [live, replay]


def test_best_is_highlighted_only_among_live_rows():
    # the replayed rows are faster and cheaper; they must not be called "the best"
    results = [
        _timed("openai", "live", 2.0, 0.002),
        _timed("anthropic", "replay", 0.5, 0.0001),
        _timed("huggingface", "replay", 0.3, 0.00005),
    ]
    table = compare.summary_table(compare.to_frame(results))
    styled = compare.style_summary(table)
    assert _highlighted(styled) == {"OpenAI"}
    assert REPLAY_NOTE in styled.caption and compare.SOME_LIVE_NOTE in styled.caption


def test_the_fastest_of_two_live_rows_is_highlighted():
    results = [
        _timed("openai", "live", 2.0, 0.002),
        _timed("anthropic", "live", 1.0, 0.003),
        _timed("huggingface", "replay", 0.3, 0.00005),
    ]
    styled = compare.style_summary(compare.summary_table(compare.to_frame(results)))
    assert _best_cells(styled) == {
        ("Anthropic", "평균 지연(초)"),
        ("Anthropic", "평균 첫 토큰(초)"),
        ("OpenAI", "예상 비용(합)"),
    }


def test_without_a_live_row_nothing_is_highlighted_and_the_caption_says_why():
    frame = compare.to_frame(_results(openai_mode="replay"))
    styled = compare.style_summary(compare.summary_table(frame))
    assert _highlighted(styled) == set()
    assert "#d9f2e4" not in styled.to_html()
    assert REPLAY_NOTE in styled.caption and compare.NO_LIVE_NOTE in styled.caption
    assert compare.NO_LIVE_NOTE in repr(styled), "the plain-text form says it too"


def test_a_caption_appears_when_any_row_is_replayed_and_not_when_all_are_live():
    mixed = compare.style_results(compare.to_frame(_results()))
    assert REPLAY_NOTE in mixed.caption and REPLAY_NOTE in mixed.to_html()
    assert REPLAY_NOTE in repr(mixed).splitlines()[-1]
    live = compare.to_frame(_results(hf_mode="live"))
    assert compare.style_results(live).caption is None
    assert compare.style_summary(compare.summary_table(live)).caption is None
    assert compare.mode_note(live) == ""
    unknown = compare.to_frame([_timed("openai", None, 1.0, 0.001)])
    assert compare.mode_note(unknown) == compare.MODE_NOTES[None]


def test_without_jinja2_the_caption_is_a_printed_line(monkeypatch, capsys):
    monkeypatch.setattr(compare, "_styler_available", lambda: False)
    frame = compare.to_frame(_results(openai_mode="replay"))
    table = compare.style_summary(compare.summary_table(frame))
    assert compare.NO_LIVE_NOTE in capsys.readouterr().out
    assert "모드" in table.columns


def test_the_answered_model_labels_the_row_and_sets_the_price():
    snapshot = "gpt-5.4-mini-2026-03-17"

    def fake(client, model, system, prompt, max_tokens):
        assert model == "gpt-5.4", "the request still asks for the requested model"
        return Reply(text="답", input_tokens=1000, output_tokens=500, model=snapshot)

    result = compare.call(
        "openai", None, "gpt-5.4", TASK, calls={"openai": fake}, modes={"openai": "replay"}
    )
    assert (result.model, result.requested_model) == ("gpt-5.4", "gpt-5.4")
    assert (result.answered_model, result.mode) == (snapshot, "replay")
    mini = catalog.estimate_cost("gpt-5.4-mini", 1000, 500)
    assert result.cost_usd == pytest.approx(mini)
    assert result.cost_usd != pytest.approx(catalog.estimate_cost("gpt-5.4", 1000, 500))
    frame = compare.to_frame([result])
    assert compare.summary_table(frame).loc["OpenAI", "모델"] == f"{snapshot} (요청: gpt-5.4)"
    assert compare.style_results(frame).data["모델"].tolist() == [snapshot]


def test_an_answered_model_the_catalog_does_not_know_has_no_price():
    fake = {"openai": lambda *a: Reply(text="답", input_tokens=10, output_tokens=5, model="x-1")}
    result = compare.call("openai", None, "gpt-5.4-mini", TASK, calls=fake)
    assert result.answered_model == "x-1" and result.cost_usd is None


def test_run_passes_the_modes_on_to_every_row():
    fake = {p: (lambda *a: Reply(text="ok")) for p in ("openai", "anthropic")}
    modes = {"openai": "live", "anthropic": "replay"}
    comparison = compare.run(dict.fromkeys(fake), MODELS, [TASK, TASK2], calls=fake, modes=modes)
    assert [r.mode for r in comparison.results] == ["live", "replay", "live", "replay"]


def test_without_a_mapping_the_mode_comes_from_setup(monkeypatch):
    from types import SimpleNamespace

    import helpers.session as session

    status = SimpleNamespace(providers={"openai": None}, mode=lambda provider: "replay")
    monkeypatch.setattr(session, "_last_status", status)
    fake = {"openai": lambda *a: Reply(text="ok")}
    assert compare.call("openai", None, MODELS["openai"], TASK, calls=fake).mode == "replay"
    forced = compare.call(
        "openai", None, MODELS["openai"], TASK, calls=fake, modes={"openai": "live"}
    )
    assert forced.mode == "live", "an explicit mapping wins"
    monkeypatch.setattr(session, "_last_status", None)
    assert compare.call("openai", None, MODELS["openai"], TASK, calls=fake).mode is None


def test_the_csv_keeps_the_mode_and_the_answered_model(tmp_path):
    import pandas as pd

    results = _results()
    results[0].answered_model = "gpt-5.4-mini-2026-03-17"
    path = compare.save_csv(compare.to_frame(results), tmp_path / "out.csv")
    saved = pd.read_csv(path, encoding="utf-8-sig")
    assert saved["mode"].tolist() == ["live", "live", "replay", "replay"]
    assert saved["answered_model"].iloc[0] == "gpt-5.4-mini-2026-03-17"


def test_the_chart_names_each_mode_and_notes_replayed_bars():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = compare.plot_metrics(compare.to_frame(_results()))
    try:
        texts = [text.get_text() for text in fig.texts]
        assert any(REPLAY_NOTE in text for text in texts)
        legend = [text.get_text() for text in fig.legends[0].get_texts()]
        assert legend == [
            f"OpenAI · {MODE_LABELS['live']}",
            f"Hugging Face · {MODE_LABELS['replay']}",
        ]
    finally:
        plt.close(fig)
    live = compare.plot_metrics(compare.to_frame(_results(hf_mode="live")))
    try:
        assert not any(REPLAY_NOTE in text.get_text() for text in live.texts)
    finally:
        plt.close(live)


def test_replay_speed_sets_and_restores_the_servers_speed(make_server, monkeypatch):
    import helpers.replay as replay

    server = make_server(speed=1.0)
    monkeypatch.setattr(replay, "_server", server)
    with compare.replay_speed(0.2):
        assert server.speed == 0.2
    assert server.speed == 1.0
    with pytest.raises(KeyError), compare.replay_speed(0):
        raise KeyError("x")
    assert server.speed == 1.0
    with compare.replay_speed(None):
        assert server.speed == 1.0


def test_a_progress_bar_appears_only_on_longer_runs(capsys):
    fake = {"openai": lambda *a: Reply(text="ok"), "anthropic": lambda *a: Reply(text="ok")}
    tasks = [Task(id=f"t{i}", kind="k", prompt="질문") for i in range(3)]
    compare.run(dict.fromkeys(fake), MODELS, tasks[:1], calls=fake)
    assert "비교 중" not in capsys.readouterr().err
    compare.run(dict.fromkeys(fake), MODELS, tasks, calls=fake)  # 6 calls
    assert "비교 중" in capsys.readouterr().err
    compare.run(dict.fromkeys(fake), MODELS, tasks, calls=fake, progress=False)
    assert "비교 중" not in capsys.readouterr().err
