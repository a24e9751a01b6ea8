"""What the Colab bootstrap cell installs, and how: one source for the cell and its CI rehearsal.

Colab ships its own packages (measured in ``locks/colab-base.txt``): transformers and gradio
there require ``huggingface_hub<2``, so upgrading Colab's copy to the 2.x this series is tested
with would break ``import transformers`` for the whole runtime. The bootstrap therefore installs
the tested set (``locks/colab.txt``: the three SDKs, httpx2, python-dotenv, tiktoken and what they
need, at the versions of the Python 3.13 lock) and ``helpers`` into a folder of its own, and puts
that folder first on ``sys.path`` in the lesson's kernel only. Colab's site-packages stay as they
were; pandas, matplotlib, numpy and ipywidgets 7.7.1 still come from Colab.

``tools.stamp`` writes :func:`bootstrap_source` into every lesson; ``tools.colab_sim`` runs
:func:`install_commands` against a rehearsal of Colab's environment in CI.
"""

from __future__ import annotations

TARGET = "/content/llm-api-lab-packages"
LOCK_PATH = "locks/colab.txt"


def lock_url(repo: str) -> str:
    """The raw file of the Colab lock on the main branch of ``repo`` (a GitHub URL)."""
    slug = repo.rstrip("/").removeprefix("https://github.com/")
    return f"https://raw.githubusercontent.com/{slug}/main/{LOCK_PATH}"


def install_commands(target: str, lock: str, package: str) -> list[list[str]]:
    """The pip arguments (after ``python -m pip``) of the bootstrap, in order.

    ``--no-deps`` everywhere: the lock already lists every package the SDKs need, and pip must
    not pull pandas or ipywidgets into the folder, where they would shadow Colab's own.
    """
    pip = ["install", "-q", "--no-deps", "--target", target]
    return [[*pip, "-r", lock], [*pip, package]]


def bootstrap_source(repo: str) -> str:
    """The Colab bootstrap cell (already in ``ruff format`` style)."""
    *options, _target = install_commands("TARGET", "LOCK", "PACKAGE")[1][:-1]
    pip = ", ".join(["sys.executable", '"-m"', '"pip"', *(f'"{o}"' for o in options), "target"])
    return (
        "# Colab 준비 셀입니다. Colab에는 이 시리즈의 `helpers` 패키지와 anthropic SDK가 없고,\n"
        "# openai·huggingface_hub는 다른 버전이 있습니다. 이 저장소가 시험한 버전(locks/colab.txt)을\n"
        "# 별도 폴더에 설치하고 이 노트북에서만 그 폴더를 먼저 찾게 합니다. Colab에 원래 있던\n"
        "# 패키지(transformers, ipywidgets 등)는 바뀌지 않습니다. 로컬에서는 아무 일도 하지 않습니다.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        "    import os\n"
        "    import subprocess\n"
        "\n"
        f'    target = "{TARGET}"\n'
        f'    lock = "{lock_url(repo)}"\n'
        '    if not os.path.isdir(os.path.join(target, "helpers")):\n'
        '        print("Colab에 실습 패키지를 설치합니다. 1~2분 걸릴 수 있습니다.")\n'
        f"        pip = [{pip}]\n"
        '        subprocess.run([*pip, "-r", lock], check=True)\n'
        f'        subprocess.run([*pip, "git+{repo}"], check=True)\n'
        "    if target not in sys.path:\n"
        "        sys.path.insert(0, target)"
    )
