# LLM API 실습 — 개발·수업용 명령 모음 (GNU make 4.3, python3 >= 3.11만 있으면 됩니다).
#
#   make lab       가상환경(.venv)을 만들고 JupyterLab을 notebooks/에서 엽니다 (키 없이도 동작)
#   make test      린트 + 단위 테스트 + 모든 노트북을 두 번(엄격 리플레이, 학습자 기본값) 키 없이 실행
#   make test-colab  Colab과 같은 Python 3.13·ipywidgets 7.7.1 환경에 Colab 준비 셀처럼 설치해 노트북 실행
#   make test-browser  JupyterLab + 헤드리스 Chromium으로 모든 노트북을 학습자 기본값에서 Run All (NB=01)
#   make lock      locks/의 잠금 파일(Python 3.11·3.12·3.13, Colab)을 최신 릴리스로 다시 만듭니다
#   make drift     최신 릴리스를 별도 가상환경(.venv-drift)에 설치해 잠금과 달라진 점을 보고합니다 (실패하지 않음)
#   make run       모든 레슨을 papermill로 리플레이 실행해 build/에 저장하고 표로 요약
#                  (make run NB=01, make run PARAMS="-p OPENAI_MODEL gpt-5.4")
#   make lint      ruff check + ruff format --check
#   make format    ruff format + ruff check --fix
#   make stamp     제목·Colab 배지·내비게이션·부트스트랩 셀·예상 소요 시간과 README 레슨 표·용어집을 다시 만듭니다
#   make outputs   stamp 뒤에 노트북을 리플레이 모드로 실행해 출력을 제자리에 저장합니다
#   make bench     벤치마크 표 (python bench/run.py)
#   make fixtures  픽스처 스펙(tools/fixture_specs)에서 픽스처 JSON을 만듭니다 (NB=01로 하나만)
#   make record NB=01 / make capture NB=01   픽스처 녹화·요청 수집 (tools/fixtures.py)
#   make clean     build/와 캐시를 지웁니다 (.venv는 그대로 둡니다)

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# 설치는 잠금 파일이 고정한 버전 그대로입니다. 가상환경의 Python 버전에 맞는 잠금을 고릅니다.
PYVER := $(shell $(if $(wildcard $(PY)),$(PY),$(PYTHON)) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
LOCK := locks/py$(PYVER).txt
REQUIREMENTS := requirements.txt requirements-lab.txt requirements-dev.txt requirements-colab.txt
NB ?=
PARAMS ?=

LINT_PATHS := helpers tests tools bench notebooks

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help
.PHONY: help venv dev lab test test-colab test-browser lock drift lint format run stamp outputs bench fixtures record capture clean

help:
	@grep -E '^#   ( |make)' Makefile | sed 's/^#   //'

# --- 가상환경: 요구 사항 파일이 바뀌었을 때만 다시 설치합니다 -------------------------------
$(PY):
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 이상이 필요합니다"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-runtime: $(REQUIREMENTS) $(wildcard locks/*.txt) pyproject.toml | $(PY)
	$(PY) -m tools.lockcheck
	$(PY) -m pip install -q -r requirements-lab.txt -c $(LOCK) -e .
	@touch $@

$(VENV)/.installed-dev: $(REQUIREMENTS) $(wildcard locks/*.txt) pyproject.toml | $(PY)
	$(PY) -m tools.lockcheck
	$(PY) -m pip install -q -r requirements-dev.txt -c $(LOCK) -e .
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
# 세 단계를 함께 돌립니다 (tools/passes.py): 단위 테스트, 노트북 엄격 리플레이(속도 0),
# 노트북 학습자 기본값(키 없음·LLM_LAB_* 없음·픽스처의 시간 간격·너그러운 매칭).
# upstream 표시가 붙은 테스트(설치된 SDK의 모델 목록처럼 릴리스마다 바뀌는 데이터)는 make drift가 돌립니다.
test: dev
	$(PY) -m ruff check $(LINT_PATHS)
	$(PY) -m ruff format --check $(LINT_PATHS)
	$(PY) -m tools.passes unit strict learner

# Colab(Python 3.13, ipywidgets 7.7.1, anthropic 없음)을 흉내 낸 가상환경에 Colab 준비 셀과 같은
# 명령으로 설치하고, 모든 노트북을 키 없이 실행합니다. Colab 패키지가 하나라도 바뀌면 실패합니다.
COLAB_PYTHON ?= python3.13
COLAB_VENV ?= .venv-colab
test-colab: dev
	$(PY) -m tools.colab_sim --python $(COLAB_PYTHON) --venv $(COLAB_VENV)

# 진짜 브라우저로 확인합니다: 임시 복사본을 JupyterLab에서 열고 Run All, 화면(표·그래프·위젯·스트리밍)을
# 검사합니다. root이면 chromium·fonts-noto-cjk·fonts-noto-color-emoji를 apt로 설치합니다.
# 스크린샷은 build/screenshots/에 남습니다.
test-browser: dev
	$(PY) -m tools.browser_test $(if $(NB),--nb "$(NB)")

# --- 의존성 잠금과 상류 변화 ---------------------------------------------------------------------
# 잠금은 uv(requirements-dev.txt에 있음)가 Python 버전마다 풀어 씁니다. 새 릴리스를 받아들이는 일은
# 사람이 합니다: make lock → make test → 커밋. 그 사이의 변화는 make drift가 보고만 합니다.
LOCK_PYTHONS := 3.11 3.12 3.13
UV := $(VENV)/bin/uv
# 잠금이 요구 사항과 어긋난 상태에서 부르는 명령이므로 dev(잠금 검사 포함)에 기대지 않습니다.
lock: | $(PY)
	$(PY) -m pip install -q "uv>=0.13"
	@set -e; for v in $(LOCK_PYTHONS); do \
		echo "locks/py$$v.txt"; \
		$(UV) pip compile -q --upgrade --python-version $$v --custom-compile-command "make lock" \
			requirements-dev.txt -o locks/py$$v.txt; done
	$(UV) pip compile -q --python-version 3.13 --custom-compile-command "make lock" \
		requirements-colab.txt -c locks/py3.13.txt -o locks/colab.txt
	$(PY) -m tools.lockcheck
	$(PY) -m pip install -q -r requirements-dev.txt -c $(LOCK) -e .
	$(PY) -m tools.drift snapshot --out tests/data/sdk_snapshot.json
	@touch $(VENV)/.installed-dev $(VENV)/.installed-runtime

DRIFT_VENV ?= .venv-drift
# 다음 릴리스를 흉내 내려면 특정 버전을 덧붙입니다: make drift DRIFT_PINS="anthropic==2.14.0"
DRIFT_PINS ?=
drift: dev
	rm -rf $(DRIFT_VENV)
	# 설치가 실패해도 보고서는 나옵니다('보고서 불완전'으로 표시). 보고는 빌드를 실패시키지 않습니다.
	-$(PYTHON) -m venv $(DRIFT_VENV)
	-$(DRIFT_VENV)/bin/python -m pip install -q -U -r requirements-dev.txt -e .
	$(if $(DRIFT_PINS),-$(DRIFT_VENV)/bin/python -m pip install -q $(DRIFT_PINS))
	$(PY) -m tools.drift report --drift-python $(DRIFT_VENV)/bin/python

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
	rm -rf build dist .pytest_cache .ruff_cache *.egg-info $(DRIFT_VENV) $(COLAB_VENV)
	find . \( -path ./$(VENV) -o -path ./.git \) -prune -o -type d \( -name __pycache__ -o -name .ipynb_checkpoints \) -print \
		| xargs -r rm -rf
