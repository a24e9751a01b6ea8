"""Make a lesson's fixtures: capture its requests, build authored answers, or record live.

    python -m tools.fixtures capture 01   # run the notebook against the server, list its requests
    python -m tools.fixtures build 01     # spec (requests + answers) -> wire-exact fixture files
    python -m tools.fixtures record 01    # with real keys: forward to the APIs and save recordings
    python -m tools.fixtures check        # every spec builds and matches the committed fixtures

The source of truth for authored fixtures is `tools/fixture_specs/<notebook>.yaml`: each entry is
a request exactly as the SDK sent it (written by `capture`) and the answer a human wrote for it.
`build` turns each entry into `helpers/fixtures/<notebook>/<name>.json`; nobody edits those by hand.
A multi-turn lesson converges in a few rounds: capture, answer the new TODO entries, build, repeat.

A spec is checked as a whole before any fixture is touched: an empty file (what an interrupted
save leaves), YAML that does not parse, entries without `name` or `request`, or fields of the
wrong type stop `build`, `capture` and `check` with a Korean message naming the file, the entry
and the field, and exit status 2. Specs are written atomically (`helpers.atomic`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from helpers.atomic import write_text_atomic
from helpers.replay.builder import SpecError, build_exchange
from helpers.replay.fixture import dump_file, load_file
from helpers.replay.store import exact_key

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SPECS = ROOT / "tools" / "fixture_specs"
FIXTURES = ROOT / "helpers" / "fixtures"
TODO = "TODO"


class _Dumper(yaml.SafeDumper):
    pass


def _str_block(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_block)


def notebook_for(number: str) -> Path:
    matches = sorted(NOTEBOOKS.glob(f"{number}_*.ipynb")) or sorted(
        NOTEBOOKS.glob(f"{number}*.ipynb")
    )
    if not matches:
        sys.exit(f"notebooks/에서 {number}(으)로 시작하는 노트북을 찾지 못했습니다.")
    return matches[0]


class SpecFileError(ValueError):
    """A spec file that cannot be used; the message is Korean and names file, entry and field."""


REQUEST_FIELDS = {
    "method": (str, True),
    "host": (str, True),
    "path": (str, True),
    "query": (str, False),
    "provider": (str, False),
    "body": ((dict, type(None)), False),
}
ENTRY_FIELDS = {"status": int, "headers": dict, "timing": dict, "usage": dict}
_TYPE_NAMES = {str: "문자열", int: "정수", dict: "매핑(키: 값)", list: "목록"}


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " 또는 ".join(_TYPE_NAMES.get(k, "null") for k in kinds)


def _entry_label(index: int, entry: Any) -> str:
    name = entry.get("name") if isinstance(entry, dict) else None
    label = f"항목 {index}번"
    return f"{label}({name})" if isinstance(name, str) and name else label


def validate_spec(data: Any, where: str) -> list[dict[str, Any]]:
    """The entries of a parsed spec, or `SpecFileError` naming the first problem found."""
    if data is None:
        raise SpecFileError(
            f"{where}: spec 파일이 비어 있습니다. 저장이 중간에 끊긴 것일 수 있습니다. "
            "git으로 되살리거나(git restore), 파일을 지우고 capture를 다시 실행하세요."
        )
    if not isinstance(data, list):
        raise SpecFileError(
            f"{where}: spec의 맨 위는 항목 목록(- name: ...)이어야 합니다. "
            f"받은 값의 형식: {type(data).__name__}"
        )
    seen: dict[str, int] = {}
    for index, entry in enumerate(data, start=1):
        label = f"{where}: {_entry_label(index, entry)}"
        if not isinstance(entry, dict):
            raise SpecFileError(
                f"{label}: 항목은 name, request, answer를 가진 매핑이어야 합니다. "
                f"받은 값: {entry!r}"[:300]
            )
        name = entry.get("name")
        if name is None:
            raise SpecFileError(f"{label}: name(픽스처 이름)이 없습니다.")
        if not isinstance(name, str) or not name.strip():
            raise SpecFileError(f"{label}: name은 비어 있지 않은 문자열이어야 합니다: {name!r}")
        if "/" in name or "\\" in name or name.startswith("."):
            raise SpecFileError(
                f"{label}: name은 파일 이름이 되므로 '/', '\\'를 넣거나 '.'으로 시작할 수 "
                f"없습니다: {name!r}"
            )
        if name in seen:
            raise SpecFileError(
                f"{label}: name {name!r}이(가) 항목 {seen[name]}번과 겹칩니다. "
                "픽스처 파일 하나를 두 항목이 덮어쓰게 됩니다."
            )
        seen[name] = index
        request = entry.get("request")
        if request is None:
            raise SpecFileError(f"{label}: request(SDK가 보낸 요청)가 없습니다.")
        if not isinstance(request, dict):
            raise SpecFileError(
                f"{label}: request는 매핑이어야 합니다. 받은 값의 형식: {type(request).__name__}"
            )
        for field, (kind, required) in REQUEST_FIELDS.items():
            if field not in request:
                if required:
                    raise SpecFileError(f"{label}: request.{field}가 없습니다.")
                continue
            if not isinstance(request[field], kind):
                raise SpecFileError(
                    f"{label}: request.{field}는 {_type_name(kind)}이어야 합니다. "
                    f"받은 값: {request[field]!r}"[:300]
                )
        for field, kind in ENTRY_FIELDS.items():
            value = entry.get(field)
            if field in entry and (not isinstance(value, kind) or isinstance(value, bool)):
                raise SpecFileError(
                    f"{label}: {field}는 {_type_name(kind)}이어야 합니다. 받은 값: {value!r}"[:300]
                )
        usage = entry.get("usage") or {}
        if set(usage) - {"reasoning"} or not isinstance(usage.get("reasoning", 0), int):
            raise SpecFileError(
                f"{label}: usage에는 reasoning(추론 토큰 수, 정수)만 쓸 수 있습니다. 입력·출력 "
                "토큰 수는 빌더가 공급자의 토큰 규칙(helpers/data/wire_profiles.json)으로 "
                f"셉니다. 받은 값: {usage!r}"[:300]
            )
    return data


def read_spec(path: Path, *, missing_ok: bool = True) -> list[dict[str, Any]]:
    """Parse and validate one spec file; a missing file is an empty spec when ``missing_ok``."""
    where = _rel(path)
    if not path.exists():
        if missing_ok:
            return []
        raise SpecFileError(
            f"{where}: spec 파일이 없습니다. 먼저 `python -m tools.fixtures capture <번호>`로 "
            "요청을 모으세요."
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecFileError(f"{where}: spec 파일을 읽지 못했습니다: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        place = f" ({mark.line + 1}번째 줄, {mark.column + 1}번째 칸)" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecFileError(f"{where}{place}: YAML 문법 오류입니다: {problem}") from exc
    return validate_spec(data, where)


def load_spec(path: Path) -> list[dict[str, Any]]:
    """The validated entries of a spec (``[]`` if there is no file); raises `SpecFileError`."""
    return read_spec(path)


def save_spec(path: Path, entries: list[dict[str, Any]]) -> None:
    """Write a spec atomically: a failed write leaves the previous spec as it was."""
    text = yaml.dump(entries, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    write_text_atomic(path, text)


def build_entry(
    entry: dict[str, Any], where: str, index: int, today: str | None, earlier: Any = ()
):
    """`build_exchange` for one validated entry; ``earlier`` are the spec's entries before it
    (a prompt that extends one of them reports its cached prefix).

    `SpecError` (an unfinished answer) passes through; any other failure of the builder on a
    malformed field becomes a `SpecFileError` naming the entry.
    """
    try:
        return build_exchange(
            entry["request"], entry, today=today or date.today().isoformat(), earlier=earlier
        )
    except SpecError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        detail = f"필드 {exc.args[0]!r}가 없습니다" if isinstance(exc, KeyError) else str(exc)
        raise SpecFileError(
            f"{where}: {_entry_label(index, entry)}: 응답을 만들 수 없습니다 "
            f"({type(exc).__name__}: {detail})"[:400]
        ) from exc


def _request_key(request: dict[str, Any]) -> str:
    return exact_key(
        request["method"].upper(),
        request["host"],
        request["path"],
        request.get("query", ""),
        request.get("body"),
    )


def _slug(request: dict[str, Any]) -> str:
    tail = request["path"].rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"[^a-z0-9]+", "-", tail.lower()).strip("-") or "request"


def run_notebook(notebook: Path, env: dict[str, str], allow_errors: bool) -> list[str]:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    old_env = dict(os.environ)
    os.environ.update(env)
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "HF_TOKEN"):
        if env.get("LLM_LAB_MODE") == "replay":
            os.environ.pop(name, None)
    try:
        client = NotebookClient(
            nb,
            kernel_name="python3",
            timeout=600,
            allow_errors=allow_errors,
            resources={"metadata": {"path": str(notebook.parent)}},
        )
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(old_env)
    errors = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors.append(f"{output.get('ename')}: {output.get('evalue')}"[:300])
    return errors


def capture(number: str) -> int:
    notebook = notebook_for(number)
    spec_path = SPECS / f"{notebook.stem}.yaml"
    try:
        old = load_spec(spec_path)  # before the run: a broken spec must not be overwritten
    except SpecFileError as exc:
        print(f"오류: {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "capture.jsonl"
        log.touch()
        env = {
            "LLM_LAB_MODE": "replay",
            "LLM_LAB_REPLAY_SPEED": "0",
            "LLM_LAB_REPLAY_STRICT": "1",
            "LLM_LAB_CAPTURE": str(log),
        }
        errors = run_notebook(notebook, env, allow_errors=True)
        captured = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    pool: dict[str, list[dict[str, Any]]] = {}
    for entry in old:
        pool.setdefault(_request_key(entry["request"]), []).append(entry)
    entries, new = [], 0
    used_names = {e["name"] for e in old}
    for index, request in enumerate(captured, start=1):
        request = {k: request[k] for k in ("provider", "method", "host", "path", "query", "body")}
        same = pool.get(_request_key(request))
        if same:
            entries.append(same.pop(0))
            continue
        name = f"{index:02d}-{_slug(request)}"
        while name in used_names:
            name += "-b"
        used_names.add(name)
        entries.append({"name": name, "request": request, "answer": TODO})
        new += 1
    unseen = [entry for group in pool.values() for entry in group]
    if errors and unseen:
        # A run that broke part-way saw only some requests; dropping the rest would lose answers.
        entries.extend(unseen)
        print(
            f"노트북 실행 중 오류가 있어, 이번에 보이지 않은 항목 {len(unseen)}개를 지우지 않고 둡니다."
        )
        unseen = []
    dropped = len(unseen)
    save_spec(spec_path, entries)
    print(
        f"{spec_path.relative_to(ROOT)}: 요청 {len(entries)}개, 새로 추가 {new}개, 제거 {dropped}개"
    )
    todo = [e["name"] for e in entries if e.get("answer") == TODO and "status" not in e]
    if todo:
        print("답변을 작성할 항목:", ", ".join(todo))
    for error in errors:
        print("노트북 오류(캡처 중):", error)
    return 0


def build(number: str, today: str | None = None) -> int:
    notebook = notebook_for(number)
    spec_path = SPECS / f"{notebook.stem}.yaml"
    out_dir = FIXTURES / notebook.stem
    todo, written = [], set()
    # Everything is built before anything is written: a broken spec leaves the fixtures alone.
    built = []
    try:
        entries = read_spec(spec_path, missing_ok=False)
        for index, entry in enumerate(entries, start=1):
            try:
                earlier = entries[: index - 1]
                built.append((entry, build_entry(entry, _rel(spec_path), index, today, earlier)))
            except SpecError as exc:
                todo.append(f"{entry['name']}: {exc}")
    except SpecFileError as exc:
        print(f"오류: {exc}", file=sys.stderr)
        print("픽스처는 하나도 바꾸지 않았습니다.", file=sys.stderr)
        return 2
    for entry, exchange in built:
        target = out_dir / f"{entry['name']}.json"
        if target.exists():
            previous = load_file(target)
            if previous.origin == "recorded":
                continue  # a recording always wins over an authored answer
            if previous.meta.get("authored") and today is None:
                exchange.meta["authored"] = previous.meta["authored"]
        dump_file(exchange, target)
        written.add(target.name)
    for stale in out_dir.glob("*.json") if out_dir.exists() else []:
        if stale.name not in written and load_file(stale).origin == "authored":
            stale.unlink()
    print(f"{out_dir.relative_to(ROOT)}: 픽스처 {len(written)}개를 만들었습니다.")
    for line in todo:
        print("  미완성:", line)
    return 1 if todo else 0


def record(number: str) -> int:
    notebook = notebook_for(number)
    out_dir = FIXTURES / notebook.stem
    env = {
        "LLM_LAB_MODE": "record",
        "LLM_LAB_RECORD_DIR": str(out_dir),
        "LLM_LAB_REPLAY_SPEED": "0",
    }
    errors = run_notebook(notebook, env, allow_errors=True)
    recorded = {
        _request_key(e.to_json()["request"]): e for e in map(load_file, out_dir.glob("*.json"))
    }
    for path in out_dir.glob("*.json"):
        exchange = load_file(path)
        key = _request_key(exchange.to_json()["request"])
        if exchange.origin == "authored" and recorded.get(key, exchange).origin == "recorded":
            path.unlink()
    for error in errors:
        print("노트북 오류(녹화 중):", error)
    return 1 if errors else 0


def check() -> int:
    """Every spec builds, and the committed fixtures are exactly what it builds.

    Exit status 1 for fixtures that differ from their specs, 2 when a spec itself is broken.
    """
    problems, broken = [], False
    for spec_path in sorted(SPECS.glob("*.yaml")):
        out_dir = FIXTURES / spec_path.stem
        try:
            entries = load_spec(spec_path)
        except SpecFileError as exc:
            problems.append(f"오류: {exc}")
            broken = True
            continue
        for index, entry in enumerate(entries, start=1):
            target = out_dir / f"{entry['name']}.json"
            if not target.exists():
                problems.append(f"{_rel(target)} 없음 (make fixtures)")
                continue
            committed = load_file(target)
            if committed.origin == "recorded":
                continue
            try:
                built = build_entry(
                    entry,
                    _rel(spec_path),
                    index,
                    committed.meta.get("authored") or None,
                    entries[: index - 1],
                )
            except SpecError as exc:
                problems.append(f"{spec_path.name}:{entry['name']}: {exc}")
                continue
            except SpecFileError as exc:
                problems.append(f"오류: {exc}")
                broken = True
                continue
            if built.to_json() != committed.to_json():
                problems.append(f"{_rel(target)}가 spec과 다릅니다 (빌드를 다시 하세요)")
    problems.extend(collisions(FIXTURES))
    for line in problems:
        print(line)
    if broken:
        return 2
    return 1 if problems else 0


def collisions(folder: Path) -> list[str]:
    """The same request answered differently by two lessons' fixtures.

    Replay answers identical requests in turn, so two lessons sending the same request would
    take each other's answers. Vary the request (the question) in one of them.
    """
    seen: dict[str, tuple[Path, bytes]] = {}
    problems = []
    for path in sorted(folder.glob("*/*.json")):
        exchange = load_file(path)
        key = _request_key(exchange.to_json()["request"])
        if key in seen and seen[key][0].parent != path.parent:
            other, wire = seen[key]
            if wire != exchange.wire_body():
                problems.append(
                    f"{path.relative_to(folder)}와 {other.relative_to(folder)}: 같은 요청에 다른 "
                    "응답입니다. 한쪽 노트북의 질문을 조금 바꾸세요."
                )
        seen.setdefault(key, (path, exchange.wire_body()))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.fixtures", description=__doc__)
    parser.add_argument("command", choices=["capture", "build", "record", "check"])
    parser.add_argument("notebook", nargs="?", help="lesson number, e.g. 01")
    args = parser.parse_args(argv)
    if args.command == "check":
        return check()
    if not args.notebook:
        parser.error("노트북 번호가 필요합니다 (예: 01).")
    return {"capture": capture, "build": build, "record": record}[args.command](args.notebook)


if __name__ == "__main__":
    sys.exit(main())
