"""helpers.conversation: trimming invariants (hypothesis), Conversation, Anthropic format, files."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.conversation import (
    SUMMARY_HEADING,
    Conversation,
    ConversationFileError,
    split_turns,
    summarize_old_turns,
    summary_request,
    trim_last_turns,
    trim_to_budget,
    validate_messages,
)


def char_count(messages):
    """A cheap, exact counter for properties: 2 per message plus the characters of its content."""
    return sum(2 + len(m.get("content") or "") for m in messages)


# --- histories for property tests ------------------------------------------------------------

texts = st.text(alphabet="가나다abc ", min_size=1, max_size=12)


@st.composite
def histories(draw):
    messages = []
    if draw(st.booleans()):
        messages.append({"role": "system", "content": draw(texts)})
    if draw(st.booleans()):  # a greeting before the first user message
        messages.append({"role": "assistant", "content": draw(texts)})
    for _ in range(draw(st.integers(0, 8))):
        messages.append({"role": "user", "content": draw(texts)})
        for _ in range(draw(st.integers(0, 2))):
            messages.append({"role": "assistant", "content": draw(texts)})
    # Unique contents let the tests follow each message.
    for i, m in enumerate(messages):
        m["content"] = f"{i}:{m['content']}"
    return messages


def is_subsequence(small, big):
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


def no_orphaned_reply(original, kept):
    """Every kept assistant message keeps the user message that precedes it in the original."""
    _, turns = split_turns(original)
    kept_ids = [id_ for id_ in (m["content"] for m in kept)]
    for turn in turns:
        contents = [m["content"] for m in turn]
        present = [c in kept_ids for c in contents]
        if any(present) and not all(present):
            return False
    return True


@settings(max_examples=300, deadline=None)
@given(histories(), st.integers(1, 120))
def test_budget_trimmer_invariants(history, budget):
    system = [m for m in history if m["role"] == "system"]
    _, turns = split_turns(history)
    try:
        kept = trim_to_budget(history, budget, char_count)
    except ValueError:
        # Only when even the system message, or the system message plus the last turn, is too big.
        smallest = system + (turns[-1] if turns else [])
        assert char_count(smallest) > budget
        return
    assert char_count(kept) <= budget  # budget respected
    assert kept[: len(system)] == system  # system kept, first
    assert is_subsequence(kept, history)  # order kept, nothing invented
    assert no_orphaned_reply(history, kept)
    # Only the oldest turns go: what is kept is a suffix of the history after the system message.
    rest = history[len(system) :]
    assert kept[len(system) :] == rest[len(rest) - (len(kept) - len(system)) :]
    # And nothing is dropped needlessly: keeping one more turn would not fit.
    kept_turns = len(split_turns(kept)[1])
    if kept_turns < len(turns):
        one_more = system + [m for t in turns[len(turns) - kept_turns - 1 :] for m in t]
        assert char_count(one_more) > budget


@settings(max_examples=200, deadline=None)
@given(histories(), st.integers(0, 10))
def test_last_turns_invariants(history, n):
    kept = trim_last_turns(history, n)
    system = [m for m in history if m["role"] == "system"]
    assert kept[: len(system)] == system
    assert len(split_turns(kept)[1]) == min(n, len(split_turns(history)[1]))
    assert is_subsequence(kept, history)
    assert no_orphaned_reply(history, kept)


def test_trimmers_do_not_change_their_input():
    history = [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "u1"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": "u2"},
    ]
    before = json.dumps(history)
    kept = trim_last_turns(history, 1)
    kept[0]["content"] = "changed"
    trim_to_budget(history, 10, char_count)
    assert json.dumps(history) == before


def test_budget_smaller_than_system_is_a_korean_error():
    with pytest.raises(ValueError, match="system 메시지 하나"):
        trim_to_budget([{"role": "system", "content": "x" * 50}], 10, char_count)


def test_budget_that_cannot_hold_the_last_turn_is_a_korean_error():
    history = [{"role": "system", "content": "s"}, {"role": "user", "content": "x" * 50}]
    with pytest.raises(ValueError, match="가장 최근 턴"):
        trim_to_budget(history, 10, char_count)


@pytest.mark.parametrize("bad", [0, -5, 2.5, True, "100"])
def test_budget_must_be_a_positive_int(bad):
    with pytest.raises(ValueError, match="budget"):
        trim_to_budget([{"role": "user", "content": "hi"}], bad, char_count)


def test_last_turns_rejects_negative_n():
    with pytest.raises(ValueError, match="0 이상의 정수"):
        trim_last_turns([], -1)


@pytest.mark.parametrize(
    ("history", "match"),
    [
        ([{"role": "user", "content": "a"}, {"role": "system", "content": "s"}], "맨 앞"),
        ([{"role": "system", "content": "s"}, {"role": "system", "content": "t"}], "1번 위치"),
        ([{"role": "robot", "content": "a"}], "알 수 없습니다"),
    ],
)
def test_system_not_first_or_unknown_role_is_refused(history, match):
    with pytest.raises(ValueError, match=match):
        validate_messages(history)
    with pytest.raises(ValueError, match=match):
        trim_last_turns(history, 1)


@pytest.mark.parametrize("bad", ["hello", {"role": "user"}, [["user", "hi"]]])
def test_history_must_be_a_list_of_dicts(bad):
    with pytest.raises(TypeError, match="dict"):
        validate_messages(bad)


def test_split_turns_keeps_replies_with_their_question():
    history = [
        {"role": "system", "content": "s"},
        {"role": "assistant", "content": "greeting"},
        {"role": "user", "content": "u1"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": "u2"},
    ]
    system, turns = split_turns(history)
    assert system == history[0]
    assert [[m["content"] for m in t] for t in turns] == [["greeting"], ["u1", "a1"], ["u2"]]


# --- summarising ------------------------------------------------------------------------------


def long_history(turns=4):
    history = [{"role": "system", "content": "당신은 NLP 전문가입니다."}]
    for i in range(1, turns + 1):
        history += [
            {"role": "user", "content": f"질문 {i}"},
            {"role": "assistant", "content": f"답변 {i}"},
        ]
    return history


def test_summary_replaces_older_turns_and_keeps_the_instruction():
    seen = []

    def fake(request):
        seen.append(request)
        return "사용자는 질문 1, 2를 했습니다."

    out = summarize_old_turns(long_history(4), fake, keep_last_turns=2)
    assert len(seen) == 1
    transcript = seen[0][-1]["content"]
    assert "질문 1" in transcript and "답변 2" in transcript and "질문 3" not in transcript
    assert out[0]["role"] == "system"
    assert out[0]["content"].startswith("당신은 NLP 전문가입니다.")
    assert f"{SUMMARY_HEADING}\n사용자는 질문 1, 2를 했습니다." in out[0]["content"]
    assert [m["content"] for m in out[1:]] == ["질문 3", "답변 3", "질문 4", "답변 4"]


def test_a_second_summary_folds_in_the_first():
    first = summarize_old_turns(long_history(4), lambda r: "요약 A", keep_last_turns=2)
    first += [{"role": "user", "content": "질문 5"}, {"role": "assistant", "content": "답변 5"}]
    seen = []
    second = summarize_old_turns(first, lambda r: seen.append(r) or "요약 B", keep_last_turns=1)
    assert "(앞선 요약) 요약 A" in seen[0][-1]["content"]
    assert second[0]["content"].count(SUMMARY_HEADING) == 1
    assert second[0]["content"].endswith("요약 B")
    assert second[0]["content"].startswith("당신은 NLP 전문가입니다.")


def test_nothing_to_summarise_does_not_call_the_model():
    def explode(request):
        raise AssertionError("must not be called")

    history = long_history(2)
    assert summarize_old_turns(history, explode, keep_last_turns=2) == history


def test_summary_without_system_message_creates_one():
    history = long_history(3)[1:]
    out = summarize_old_turns(history, lambda r: "요약", keep_last_turns=1)
    assert out[0] == {"role": "system", "content": f"{SUMMARY_HEADING}\n요약"}


def test_summary_through_an_openai_like_client():
    calls = []

    def create(**kwargs):
        calls.append(kwargs)
        message = SimpleNamespace(content="클라이언트 요약")
        return SimpleNamespace(choices=[SimpleNamespace(message=message)])

    client = SimpleNamespace(chat=SimpleNamespace(completions=SimpleNamespace(create=create)))
    out = summarize_old_turns(long_history(3), client, keep_last_turns=1, model="m")
    assert calls[0]["model"] == "m" and calls[0]["messages"][0]["role"] == "system"
    assert out[0]["content"].endswith("클라이언트 요약")
    with pytest.raises(ValueError, match="model"):
        summarize_old_turns(long_history(3), client, keep_last_turns=1)


def test_summary_through_an_anthropic_like_client():
    calls = []

    def create(**kwargs):
        calls.append(kwargs)
        return SimpleNamespace(content=[SimpleNamespace(type="text", text="앤트로픽 요약")])

    client = SimpleNamespace(messages=SimpleNamespace(create=create))
    out = summarize_old_turns(long_history(3), client, keep_last_turns=1, model="c")
    assert isinstance(calls[0]["system"], str)
    assert [m["role"] for m in calls[0]["messages"]] == ["user"]
    assert out[0]["content"].endswith("앤트로픽 요약")


def test_empty_summary_is_refused():
    with pytest.raises(ValueError, match="요약이 비어"):
        summarize_old_turns(long_history(3), lambda r: "  ", keep_last_turns=1)


def test_summary_request_is_a_plain_two_message_chat():
    request = summary_request([{"role": "user", "content": "안녕"}])
    assert [m["role"] for m in request] == ["system", "user"]
    assert "user: 안녕" in request[1]["content"]


# --- Conversation -----------------------------------------------------------------------------


def test_conversation_appends_and_counts_turns():
    conv = Conversation("시스템", count_tokens=char_count)
    assert len(conv) == 0 and conv.last_reply is None
    conv.add_user("안녕")
    conv.add_assistant("반가워요")
    conv.add_user("질문")
    assert len(conv) == 2
    assert conv.messages[0] == {"role": "system", "content": "시스템"}
    assert [m["role"] for m in conv.messages] == ["system", "user", "assistant", "user"]
    assert conv.last_reply == "반가워요"
    assert conv.system == "시스템"


def test_messages_is_a_copy():
    conv = Conversation("s")
    conv.messages.append({"role": "user", "content": "x"})
    conv.messages[0]["content"] = "changed"
    assert conv.messages == [{"role": "system", "content": "s"}]


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_user_message_is_a_korean_error(text):
    conv = Conversation()
    with pytest.raises(ValueError, match="비어 있습니다"):
        conv.add_user(text)
    assert conv.messages == []


def test_none_reply_is_explained_and_non_text_refused():
    conv = Conversation()
    with pytest.raises(ValueError, match="finish_reason"):
        conv.add_assistant(None)
    with pytest.raises(TypeError, match="문자열"):
        conv.add_user(42)


def test_policy_is_applied_only_when_sending():
    conv = Conversation("s", keep_last_turns=1, count_tokens=char_count)
    for i in range(3):
        conv.add_user(f"u{i}")
        conv.add_assistant(f"a{i}")
    assert len(conv.messages) == 7
    assert [m["content"] for m in conv.to_openai()] == ["s", "u2", "a2"]


def test_budget_policy_uses_the_given_counter():
    conv = Conversation("s", budget=12, count_tokens=char_count)
    for i in range(3):
        conv.add_user(f"u{i}")
        conv.add_assistant(f"a{i}")
    sent = conv.to_openai()
    assert char_count(sent) <= 12
    assert [m["content"] for m in sent] == ["s", "u2", "a2"]
    assert conv.token_count() == char_count(sent)


def test_budget_smaller_than_system_fails_at_construction():
    with pytest.raises(ValueError, match="system 메시지 하나"):
        Conversation("긴 시스템 메시지" * 10, budget=5, count_tokens=char_count)


@pytest.mark.parametrize(
    ("kwargs", "match"), [({"budget": 0}, "budget"), ({"keep_last_turns": 0}, "keep_last_turns")]
)
def test_bad_policy_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Conversation("s", **kwargs)


def test_to_anthropic_moves_system_out():
    conv = Conversation("시스템")
    conv.add_user("안녕")
    conv.add_assistant("네")
    conv.add_user("다음")
    assert conv.to_anthropic() == {
        "system": "시스템",
        "messages": [
            {"role": "user", "content": "안녕"},
            {"role": "assistant", "content": "네"},
            {"role": "user", "content": "다음"},
        ],
    }


def test_to_anthropic_without_system_leaves_the_key_out():
    conv = Conversation()
    conv.add_user("안녕")
    assert conv.to_anthropic() == {"messages": [{"role": "user", "content": "안녕"}]}


def test_to_anthropic_applies_the_policy():
    conv = Conversation("s", keep_last_turns=1)
    conv.add_user("old")
    conv.add_assistant("old reply")
    conv.add_user("new")
    assert conv.to_anthropic()["messages"] == [{"role": "user", "content": "new"}]


def test_conversation_summarize_rewrites_the_stored_history():
    conv = Conversation.from_messages(long_history(4))
    conv.summarize(lambda r: "요약", keep_last_turns=1)
    assert len(conv) == 1
    assert conv.system.endswith(f"{SUMMARY_HEADING}\n요약")


def test_clear_keeps_the_system_message():
    conv = Conversation.from_messages(long_history(2))
    conv.clear()
    assert conv.messages == [long_history(1)[0]]


def test_from_messages_refuses_a_misplaced_system():
    with pytest.raises(ValueError, match="맨 앞"):
        Conversation.from_messages(
            [{"role": "user", "content": "a"}, {"role": "system", "content": "s"}]
        )


# --- files -------------------------------------------------------------------------------------


def test_save_and_load_round_trip(tmp_path):
    conv = Conversation("시스템", budget=500, keep_last_turns=3)
    conv.add_user("한글 질문")
    conv.add_assistant("한글 답변")
    path = tmp_path / "chat.json"
    conv.save(path)
    assert "한글 질문" in path.read_text(encoding="utf-8")  # readable, not \\u-escaped
    back = Conversation.load(path)
    assert back.messages == conv.messages
    assert (back.budget, back.keep_last_turns) == (500, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["chat.json"]  # no temp file left


def test_load_missing_file_is_a_korean_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="대화 파일이 없습니다"):
        Conversation.load(tmp_path / "nope.json")


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ('{"format": "llm-api-lab/conversation", "version": 1, "messages": [', "손상"),
        ('["not", "a", "conversation"]', "저장한 파일이 아닙니다"),
        (
            json.dumps(
                {
                    "format": "llm-api-lab/conversation",
                    "version": 1,
                    "messages": [
                        {"role": "user", "content": "a"},
                        {"role": "system", "content": "s"},
                    ],
                }
            ),
            "맨 앞",
        ),
        ('{"format": "llm-api-lab/conversation", "version": 99, "messages": []}', "버전"),
    ],
)
def test_load_corrupt_file_is_a_korean_error_and_leaves_it_untouched(tmp_path, content, match):
    path = tmp_path / "chat.json"
    path.write_text(content, encoding="utf-8")
    before = path.read_bytes(), os.stat(path).st_mtime_ns
    with pytest.raises(ConversationFileError, match=match):
        Conversation.load(path)
    assert (path.read_bytes(), os.stat(path).st_mtime_ns) == before


def test_failed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "chat.json"
    conv = Conversation("s")
    conv.add_user("첫 저장")
    conv.save(path)
    before = path.read_bytes()

    conv.add_user("두 번째")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        conv.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["chat.json"]


def test_save_into_a_missing_folder_is_a_korean_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="폴더가 없습니다"):
        Conversation("s").save(tmp_path / "no" / "chat.json")


def test_default_counter_is_the_offline_tokenizer():
    conv = Conversation("당신은 NLP 전문가입니다.")
    conv.add_user("Transformer의 핵심 메커니즘은 무엇인가요?")
    from helpers.tokencount import count_messages

    assert conv.token_count() == count_messages(conv.messages) > 10


def test_pop_removes_the_last_message_but_never_the_system():
    conv = Conversation("s")
    conv.add_user("u")
    assert conv.pop() == {"role": "user", "content": "u"}
    assert conv.messages == [{"role": "system", "content": "s"}]
    with pytest.raises(IndexError, match="지울 메시지가 없습니다"):
        conv.pop()


def test_load_non_utf8_file_is_a_korean_error(tmp_path):
    path = tmp_path / "chat.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConversationFileError, match="UTF-8"):
        Conversation.load(path)
    assert path.read_bytes() == b"\xff\xfe\x00garbage"


# --- loading a hand-edited or damaged file: Korean errors naming file, message and field ------


def _saved(tmp_path, messages):
    path = tmp_path / "chat.json"
    data = {"format": "llm-api-lab/conversation", "version": 1, "messages": messages}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"role": "user"}, "'content' 필드가 없습니다"),
        ({"role": "user", "content": 5}, "문자열이나 리스트가 아닙니다"),
        ({"role": "assistant", "content": None}, "null입니다"),
        ({"role": "user", "content": [5]}, "0번 조각"),
        ({"role": "user", "content": [{"type": "text"}]}, "'text' 필드"),
    ],
)
def test_load_refuses_messages_without_usable_content(tmp_path, message, field):
    path = _saved(tmp_path, [{"role": "system", "content": "s"}, message])
    with pytest.raises(ConversationFileError) as caught:
        Conversation.load(path)
    text = str(caught.value)
    assert str(path) in text and "1번 메시지" in text and field in text


def test_load_accepts_tool_calls_and_content_parts(tmp_path):
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "날씨?"}]},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function"}]},
    ]
    assert len(Conversation.load(_saved(tmp_path, messages)).messages) == 2


def test_load_a_folder_is_a_korean_error(tmp_path):
    with pytest.raises(IsADirectoryError, match="폴더입니다") as caught:
        Conversation.load(tmp_path)
    assert str(tmp_path) in str(caught.value)


def test_load_an_unreadable_file_is_a_korean_error(tmp_path, monkeypatch):
    path = _saved(tmp_path, [])

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_text", denied)
    with pytest.raises(PermissionError, match="읽을 권한이 없습니다") as caught:
        Conversation.load(path)
    assert str(path) in str(caught.value)


def test_save_over_a_read_only_file_is_refused_and_keeps_it(tmp_path):
    path = tmp_path / "chat.json"
    Conversation("s").save(path)
    before = path.read_bytes()
    path.chmod(0o444)
    try:
        conv = Conversation("s")
        conv.add_user("새 내용")
        with pytest.raises(PermissionError, match="읽기 전용") as caught:
            conv.save(path)
        assert str(path) in str(caught.value) and path.read_bytes() == before
    finally:
        path.chmod(0o644)


def test_save_into_a_read_only_folder_or_onto_a_folder_is_korean(tmp_path, monkeypatch):
    with pytest.raises(IsADirectoryError, match="폴더입니다"):
        Conversation("s").save(tmp_path)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)  # what a read-only folder does
    with pytest.raises(PermissionError, match="쓸 권한이 없어") as caught:
        Conversation("s").save(tmp_path / "chat.json")
    assert str(tmp_path / "chat.json") in str(caught.value)
    assert list(tmp_path.iterdir()) == []
