# Rounds: `make run` for the whole product on a laptop, `make test` for the suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# The first Python 3.12+ found: python3.12, python3.13, python3, then pyenv's.
PYTHON ?= $(shell for c in python3.12 python3.13 python3.14 python3 $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3; do \
	if $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then echo $$c; break; fi; done)
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test venv demo browser pango ffmpeg lint format clean bench lock

# Exactly the versions and files in the lock (hashes checked); `make lock`
# makes it again from pyproject.toml's ranges.
$(VENV)/.installed: requirements/development.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (python3.12 was not found)."; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements/development.txt
	touch $@

venv: $(VENV)/.installed

# The browser tests drive Debian's Chromium; install it when missing (needs root or sudo).
browser:
	@test -x $(CHROMIUM) || { \
		echo "Installing Chromium from Debian for the browser tests..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The monthly report's PDF is drawn by WeasyPrint, which needs Pango; install it
# when missing (needs root or sudo), as the Dockerfile does in the image.
pango:
	@ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset.so' && ldconfig -p | grep -q 'libpangoft2-1.0.so' || { \
		echo "Installing Pango from Debian for the PDF reports..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 >/dev/null; }

# Phone video is checked and cleaned by Debian's ffmpeg (video/); install it when
# missing (needs root or sudo), as the Dockerfile does in the image.
ffmpeg:
	@command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || { \
		echo "Installing ffmpeg from Debian for video..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq ffmpeg >/dev/null; }

run: venv pango ffmpeg
	$(PY) scripts/services.py -- $(PY) scripts/run.py

test: venv browser pango ffmpeg
	$(VENV)/bin/ruff check --quiet .
	$(VENV)/bin/ruff format --check --quiet .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy
	$(PY) scripts/services.py -- $(PY) -m pytest $(PYTEST_ARGS)

demo: venv
	$(PY) manage.py migrate --no-input
	$(PY) manage.py demo_data

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The lock files: production (the image) and development (make run, make test).
lock: venv
	$(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.12 --generate-hashes \
		--no-header --quiet -o requirements/production.txt
	$(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.12 --generate-hashes \
		--no-header --quiet --extra quickstart --extra dev -o requirements/development.txt

bench: venv ffmpeg
	$(PY) scripts/services.py -- $(PY) bench/publish.py
	BENCH_MODE=photo $(PY) scripts/services.py -- $(PY) bench/publish.py
	$(PY) bench/images.py
	$(PY) bench/video.py
	$(PY) scripts/services.py -- $(PY) bench/editor.py
	$(PY) scripts/services.py -- $(PY) bench/inbox.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
