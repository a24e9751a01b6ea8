# LLM API 실습 — 개발·강의용 명령 모음 (GNU make 4.3, python3 >= 3.11만 있으면 됩니다).
#
#   make lab       가상환경(.venv)을 만들고 JupyterLab을 notebooks/에서 엽니다 (키 없이도 동작)
#   make test      린트 + 단위 테스트 + 모든 노트북을 키 없이 엄격 재생(strict replay)으로 실행
#   make run       모든 강의를 papermill로 재생 실행해 build/에 저장하고 표로 요약
#                  (make run NB=01, make run PARAMS="-p OPENAI_MODEL gpt-5.4")
#   make lint      ruff check + ruff format --check
#   make format    ruff format + ruff check --fix
#   make stamp     제목·Colab 배지·내비게이션·부트스트랩 셀과 README 강의 표를 다시 만듭니다
#   make outputs   stamp 뒤에 노트북을 재생 모드로 실행해 출력을 제자리에 저장합니다
#   make bench     벤치마크 표 (python bench/run.py)
#   make fixtures  픽스처 스펙(tools/fixture_specs)에서 픽스처 JSON을 만듭니다 (NB=01로 하나만)
#   make record NB=01 / make capture NB=01   픽스처 녹화·요청 수집 (tools/fixtures.py)
#   make clean     build/와 캐시를 지웁니다 (.venv는 그대로 둡니다)

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
NB ?=
PARAMS ?=

LINT_PATHS := helpers tests tools bench notebooks
# 노트북을 키 없이, 녹화된 응답만으로, 지연 없이 실행하는 환경입니다.
REPLAY_ENV := env -u OPENAI_API_KEY -u ANTHROPIC_API_KEY -u HF_TOKEN \
	LLM_LAB_MODE=replay LLM_LAB_REPLAY_STRICT=1 LLM_LAB_REPLAY_SPEED=0

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help
.PHONY: help venv dev lab test lint format run stamp outputs bench fixtures record capture clean

help:
	@grep -E '^#   ( |make)' Makefile | sed 's/^#   //'

# --- 가상환경: 요구 사항 파일이 바뀌었을 때만 다시 설치합니다 -------------------------------
$(PY):
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 이상이 필요합니다"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-runtime: requirements.txt requirements-lab.txt pyproject.toml | $(PY)
	$(PY) -m pip install -q -r requirements-lab.txt -e .
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-lab.txt requirements-dev.txt pyproject.toml | $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt -e .
	@touch $@ $(VENV)/.installed-runtime

venv: $(VENV)/.installed-runtime
dev: $(VENV)/.installed-dev

# --- 학습자 ------------------------------------------------------------------------------------
# root로 실행하면(컨테이너 등) JupyterLab이 --allow-root 없이는 시작하지 않습니다.
LAB_FLAGS := --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks \
	$(if $(filter 0,$(shell id -u)),--allow-root)

lab: venv
	$(VENV)/bin/jupyter lab $(LAB_FLAGS)

# --- 테스트 ------------------------------------------------------------------------------------
test: dev
	$(PY) -m ruff check $(LINT_PATHS)
	$(PY) -m ruff format --check $(LINT_PATHS)
	$(PY) -m pytest -p no:cacheprovider tests
	$(REPLAY_ENV) $(PY) -m pytest -p no:cacheprovider --nbmake notebooks

lint: dev
	$(PY) -m ruff check $(LINT_PATHS)
	$(PY) -m ruff format --check $(LINT_PATHS)

format: dev
	$(PY) -m ruff format $(LINT_PATHS)
	$(PY) -m ruff check --fix $(LINT_PATHS)

# --- 강사·관리자 -------------------------------------------------------------------------------
run: dev
	$(PY) -m tools.run_series $(if $(NB),--nb "$(NB)") $(PARAMS)

stamp: dev
	$(PY) -m tools.stamp

outputs: stamp
	$(PY) -m tools.refresh_outputs $(NB)

bench: dev
	$(PY) bench/run.py

record: dev
	@test -n "$(NB)" || { echo "NB를 지정하세요 (NB is required), 예: make record NB=01"; exit 2; }
	$(PY) -m tools.fixtures record $(NB)

# 저자가 쓴 픽스처 스펙(tools/fixture_specs/*.yaml)에서 픽스처 JSON을 만듭니다 (NB가 없으면 전부).
SPEC_NUMBERS := $(foreach f,$(wildcard tools/fixture_specs/*.yaml),$(firstword $(subst _, ,$(notdir $(f)))))

fixtures: dev
	@set -e; for n in $(or $(NB),$(SPEC_NUMBERS)); do \
		echo "$(PY) -m tools.fixtures build $$n"; $(PY) -m tools.fixtures build $$n; done

capture: dev
	@test -n "$(NB)" || { echo "NB를 지정하세요 (NB is required), 예: make capture NB=01"; exit 2; }
	$(PY) -m tools.fixtures capture $(NB)

clean:
	rm -rf build dist .pytest_cache .ruff_cache *.egg-info
	find . \( -path ./$(VENV) -o -path ./.git \) -prune -o -type d \( -name __pycache__ -o -name .ipynb_checkpoints \) -print \
		| xargs -r rm -rf
