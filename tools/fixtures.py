"""Make a lesson's fixtures: capture its requests, build authored answers, or record live.

    python -m tools.fixtures capture 01   # run the notebook against the server, list its requests
    python -m tools.fixtures build 01     # spec (requests + answers) -> wire-exact fixture files
    python -m tools.fixtures record 01    # with real keys: forward to the APIs and save recordings
    python -m tools.fixtures check        # every spec builds and matches the committed fixtures

The source of truth for authored fixtures is `tools/fixture_specs/<notebook>.yaml`: each entry is
a request exactly as the SDK sent it (written by `capture`) and the answer a human wrote for it.
`build` turns each entry into `helpers/fixtures/<notebook>/<name>.json`; nobody edits those by hand.
A multi-turn lesson converges in a few rounds: capture, answer the new TODO entries, build, repeat.
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


def load_spec(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return yaml.safe_load(path.read_text(encoding="utf-8")) or []


def save_spec(path: Path, entries: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(entries, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(text, encoding="utf-8")


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
    old = load_spec(spec_path)
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
    entries = load_spec(SPECS / f"{notebook.stem}.yaml")
    out_dir = FIXTURES / notebook.stem
    todo, written = [], set()
    for entry in entries:
        try:
            exchange = build_exchange(
                entry["request"], entry, today=today or date.today().isoformat()
            )
        except SpecError as exc:
            todo.append(f"{entry['name']}: {exc}")
            continue
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
    """Every spec builds, and the committed fixtures are exactly what it builds."""
    problems = []
    for spec_path in sorted(SPECS.glob("*.yaml")):
        out_dir = FIXTURES / spec_path.stem
        for entry in load_spec(spec_path):
            target = out_dir / f"{entry['name']}.json"
            if not target.exists():
                problems.append(f"{target.relative_to(ROOT)} 없음 (make fixtures)")
                continue
            committed = load_file(target)
            if committed.origin == "recorded":
                continue
            try:
                built = build_exchange(
                    entry["request"], entry, today=committed.meta.get("authored")
                )
            except SpecError as exc:
                problems.append(f"{spec_path.name}:{entry['name']}: {exc}")
                continue
            if built.to_json() != committed.to_json():
                problems.append(
                    f"{target.relative_to(ROOT)}가 spec과 다릅니다 (빌드를 다시 하세요)"
                )
    problems.extend(collisions(FIXTURES))
    for line in problems:
        print(line)
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
