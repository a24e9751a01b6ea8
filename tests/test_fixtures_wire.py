"""Every shipped fixture is wire-exact: the real SDK, validating strictly, parses it into its types.

Each exchange is replayed through the SDK call that produces its request, against a strict replay
server over the shipped fixtures. A fixture the SDK cannot parse, or whose request the SDK would
not send, fails here. Also: the authored fixtures are exactly what their specs build.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs

import anthropic
import openai
import pytest
from huggingface_hub import HfApi, InferenceClient, set_client_factory
from huggingface_hub.utils._http import default_client_factory

from helpers.providers import PROVIDERS
from helpers.replay import hf_client_factory
from helpers.replay.server import ReplayServer
from helpers.replay.store import FixtureStore, default_dirs
from helpers.replay.validate import structured_problems
from tools import fixtures as fixture_tool

PACKAGED = FixtureStore([default_dirs()[0]])


@pytest.fixture(scope="module")
def server():
    server = ReplayServer(FixtureStore([default_dirs()[0]]), speed=0, strict=True)
    set_client_factory(hf_client_factory(server.url))
    yield server
    set_client_factory(default_client_factory)
    server.close()


def replay_through_sdk(server: ReplayServer, exchange) -> object:
    body = dict(exchange.body or {})
    key = "test-key-for-wire-check"
    if exchange.provider == "openai":
        client = openai.OpenAI(
            api_key=key,
            base_url=server.base_url("openai"),
            max_retries=0,
            _strict_response_validation=True,
        )
        if exchange.path == "/v1/chat/completions":
            result = client.chat.completions.create(**body)
        elif exchange.path == "/v1/responses":
            result = client.responses.create(**body)
        elif exchange.path == "/v1/models":
            result = list(client.models.list())
        else:
            raise AssertionError(f"no SDK call known for {exchange.endpoint}")
    elif exchange.provider == "anthropic":
        client = anthropic.Anthropic(
            api_key=key,
            base_url=server.base_url("anthropic"),
            max_retries=0,
            _strict_response_validation=True,
        )
        if exchange.path == "/v1/messages":
            result = client.messages.create(**body)
        elif exchange.path == "/v1/messages/count_tokens":
            result = client.messages.count_tokens(**body)
        elif exchange.path == "/v1/models":
            result = list(client.models.list())
        else:
            raise AssertionError(f"no SDK call known for {exchange.endpoint}")
    else:
        client, result = _replay_huggingface(exchange, body)
    if exchange.is_stream:
        result = list(result)  # every event parsed into the SDK's event types
    return result


def _replay_huggingface(exchange, body: dict) -> tuple[object, object]:
    """(client, result) of the huggingface_hub call that sends this exchange's request; the
    caller keeps the client while it reads a stream (its exit stack closes it otherwise)."""
    token = "hf_replay_mode_placeholder_not_a_real_token"
    query = parse_qs(exchange.query)
    router_chat = (
        exchange.host == "router.huggingface.co" and exchange.path == "/v1/chat/completions"
    )
    if router_chat:
        client = InferenceClient(token=token)
        return client, client.chat_completion(**body)
    if exchange.path.endswith("/chat/completions"):
        # A provider route or a local server: the SDK posts to a base_url that ends in
        # /chat/completions as it is, with the body unchanged.
        client = InferenceClient(base_url=f"https://{exchange.host}{exchange.path}", api_key=token)
        return client, client.chat_completion(**body)
    if exchange.method == "GET" and exchange.path.startswith("/api/models/"):
        repo_id = exchange.path.removeprefix("/api/models/")
        return None, HfApi(token=token).model_info(repo_id, expand=query.get("expand"))
    if exchange.method == "GET" and exchange.path == "/api/models":
        kwargs = {name: values if name == "expand" else values[0] for name, values in query.items()}
        if "limit" in kwargs:
            kwargs["limit"] = int(kwargs["limit"])
        return None, list(HfApi(token=token).list_models(**kwargs))
    if exchange.method == "POST" and exchange.host not in PROVIDERS["huggingface"].hosts:
        # text_generation against a TGI server (base_url): {"inputs", "parameters"} to its root.
        client = InferenceClient(base_url=f"http://{exchange.host}", api_key=token)
        return client, client.text_generation(body["inputs"], **body.get("parameters", {}))
    raise AssertionError(f"no SDK call known for {exchange.endpoint}")


def _status_of(error: BaseException) -> int | None:
    # openai/anthropic errors carry status_code; huggingface_hub's carry the httpx2 response.
    status = getattr(error, "status_code", None)
    if status is None and getattr(error, "response", None) is not None:
        status = error.response.status_code
    return status


@pytest.mark.parametrize("exchange", PACKAGED.exchanges, ids=lambda ex: ex.source.stem)
def test_fixture_parses_into_sdk_types(server, exchange):
    if exchange.status >= 400:
        with pytest.raises(Exception) as caught:
            replay_through_sdk(server, exchange)
        assert _status_of(caught.value) == exchange.status
        assert "저장된 응답이 없습니다" not in str(caught.value), "the request itself must match"
        return
    result = replay_through_sdk(server, exchange)
    assert result, "the SDK returned something"
    if exchange.is_stream:
        assert len(result) >= 3, "a stream has several events"


def _strict_problems(exchange) -> list[str]:
    return structured_problems(
        exchange.provider,
        exchange.path,
        exchange.body,
        exchange.status,
        exchange.response_body,
        exchange.events,
    )


def test_every_fixture_keeps_what_a_strict_schema_guarantees():
    found = {ex.source.stem: _strict_problems(ex) for ex in PACKAGED.exchanges}
    assert {name: lines for name, lines in found.items() if lines} == {}


def test_strict_schema_check_catches_a_hand_edited_fixture(tmp_path):
    from helpers.replay.builder import build_exchange
    from helpers.replay.fixture import dump_file, load_file

    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    }
    body = {
        "model": "gpt-5.4",
        "messages": [{"role": "user", "content": "서울을 JSON으로"}],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "City", "schema": schema, "strict": True},
        },
    }
    request = {"method": "POST", "host": "api.openai.com", "path": "/v1/chat/completions"}
    request.update(query="", body=body)
    target = tmp_path / "08_x" / "city.json"
    dump_file(build_exchange(request, {"answer": '{"city":"서울"}'}), target)
    assert _strict_problems(load_file(target)) == []
    target.write_text(
        target.read_text(encoding="utf-8").replace('\\"city\\"', '\\"town\\"'),
        encoding="utf-8",
    )
    assert _strict_problems(load_file(target)), "the edited answer breaks the schema"


def test_no_fixture_failed_to_load():
    assert PACKAGED.errors == []
    assert PACKAGED.exchanges, "fixtures ship with the package"


def test_every_fixture_says_where_it_came_from():
    for exchange in PACKAGED.exchanges:
        assert exchange.origin in ("authored", "recorded")
        if exchange.origin == "authored":
            assert (
                exchange.meta.get("authored")
                and "실제 API가 보낸 응답이 아닙니다" in exchange.meta["note"]
            )
        else:
            assert exchange.meta.get("recorded") and exchange.meta.get("sdk")


def test_authored_fixtures_are_what_their_specs_build(capsys):
    assert fixture_tool.check() == 0, capsys.readouterr().out


def test_spec_check_catches_a_hand_edited_fixture(tmp_path, monkeypatch):
    spec_dir, out_dir = tmp_path / "specs", tmp_path / "fixtures"
    monkeypatch.setattr(fixture_tool, "SPECS", spec_dir)
    monkeypatch.setattr(fixture_tool, "FIXTURES", out_dir)
    monkeypatch.setattr(fixture_tool, "ROOT", tmp_path)
    request = {
        "method": "POST",
        "host": "api.openai.com",
        "path": "/v1/chat/completions",
        "query": "",
        "body": {"model": "m", "messages": [{"role": "user", "content": "안녕"}]},
    }
    fixture_tool.save_spec(
        spec_dir / "99_demo.yaml", [{"name": "a", "request": request, "answer": "네"}]
    )
    monkeypatch.setattr(fixture_tool, "notebook_for", lambda number: Path("99_demo.ipynb"))
    assert fixture_tool.build("99") == 0
    assert fixture_tool.check() == 0
    target = out_dir / "99_demo" / "a.json"
    target.write_text(
        target.read_text(encoding="utf-8").replace('"네"', '"아니요"'), encoding="utf-8"
    )
    assert fixture_tool.check() == 1


def test_capture_keeps_unseen_answers_when_the_run_broke(tmp_path, monkeypatch):
    spec_dir = tmp_path / "specs"
    monkeypatch.setattr(fixture_tool, "SPECS", spec_dir)
    monkeypatch.setattr(fixture_tool, "ROOT", tmp_path)
    monkeypatch.setattr(fixture_tool, "notebook_for", lambda number: tmp_path / "99_demo.ipynb")
    seen = {"method": "POST", "host": "api.openai.com", "path": "/v1/chat/completions"}
    seen.update(query="", body={"model": "m", "messages": [{"role": "user", "content": "a"}]})
    unseen = {**seen, "body": {"model": "m", "messages": [{"role": "user", "content": "b"}]}}
    fixture_tool.save_spec(
        spec_dir / "99_demo.yaml",
        [
            {"name": "a", "request": seen, "answer": "A"},
            {"name": "b", "request": unseen, "answer": "B"},
        ],
    )

    def fake_run(errors):
        def run(notebook, env, allow_errors):
            with open(env["LLM_LAB_CAPTURE"], "a", encoding="utf-8") as log:
                log.write(json.dumps({"provider": "openai", **seen}) + "\n")
            return errors

        return run

    monkeypatch.setattr(fixture_tool, "run_notebook", fake_run(["NameError: x"]))
    fixture_tool.capture("99")
    assert [e["name"] for e in fixture_tool.load_spec(spec_dir / "99_demo.yaml")] == ["a", "b"]

    monkeypatch.setattr(fixture_tool, "run_notebook", fake_run([]))
    fixture_tool.capture("99")
    assert [e["name"] for e in fixture_tool.load_spec(spec_dir / "99_demo.yaml")] == ["a"]


def test_two_lessons_answering_the_same_request_differently_is_caught(tmp_path):
    from helpers.replay.builder import build_exchange
    from helpers.replay.fixture import dump_file

    request = {"method": "POST", "host": "api.openai.com", "path": "/v1/chat/completions"}
    request.update(query="", body={"model": "m", "messages": [{"role": "user", "content": "안녕"}]})
    dump_file(build_exchange(request, {"answer": "네"}), tmp_path / "01_a" / "x.json")
    dump_file(build_exchange(request, {"answer": "네"}), tmp_path / "02_b" / "y.json")
    assert fixture_tool.collisions(tmp_path) == []
    dump_file(build_exchange(request, {"answer": "아니요"}), tmp_path / "03_c" / "z.json")
    assert len(fixture_tool.collisions(tmp_path)) == 1
