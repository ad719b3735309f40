# The two commands a fresh clone needs (see README.md):
#   make demo   set everything up, run the pipeline on the offline sandbox, print the trends
#   make test   set everything up, lint (ruff, import rules), run the test suite
# Everything is installed into ./.venv from uv.lock; nothing outside the project is touched.

PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
# Installed packages get their bytecode at install time: where PYTHONDONTWRITEBYTECODE is
# set (as on our CI machines) Python would otherwise compile Dagster anew in every process,
# and every Dagster run, sandbox and test subprocess is one (import 3.7 s -> 2.0 s).
export UV_COMPILE_BYTECODE := 1

.PHONY: demo test dev lint setup clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) pyproject.toml uv.lock Makefile
	$(UV) sync --frozen --extra dev --python $(PYTHON)
	touch $@

setup: .venv/.synced

demo: setup
	.venv/bin/intrend demo

dev: setup
	.venv/bin/intrend dev

test: setup
	@scripts/announce-test-setup  # as root: what it installs and creates, before it does
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports  # the import rules in pyproject.toml's [tool.importlinter]
	-scripts/ensure-chromium  # on failure the UI test fails and says why; the rest still runs
	-scripts/ensure-prometheus  # the same for the metrics test (Prometheus, Pushgateway)
	-scripts/ensure-rabbitmq  # the same for the Celery test (RabbitMQ as the broker)
	.venv/bin/python -m pytest -n auto

lint: setup
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

clean:
	rm -rf .venv .tools .dagster data
