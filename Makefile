# The front door: `make demo` runs the bot's main job on the demo data, `make test` checks all.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The embedding model lives beside the clone on development and CI machines; use it when there.
SHARED_MODEL := $(abspath ../shared/models/all-MiniLM-L6-v2/onnx)
ifneq ($(wildcard $(SHARED_MODEL)/model.onnx),)
export EMBEDDING_MODEL_DIR ?= $(SHARED_MODEL)
endif

.PHONY: install demo test test-any-day lint types pytest fix clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed ## create .venv with the bot and its development tools

demo: install ## load the demo data, ask a sample question, then run the bot (or its console)
	@# The settings make found are kept in .env, so `.venv/bin/scic ...` behaves the same later.
	@if [ -n "$$EMBEDDING_MODEL_DIR" ] && ! grep -qs '^EMBEDDING_MODEL_DIR=' .env; then \
		echo "EMBEDDING_MODEL_DIR=$$EMBEDDING_MODEL_DIR" >> .env; \
		echo "Saved EMBEDDING_MODEL_DIR=$$EMBEDDING_MODEL_DIR in .env"; \
	fi
	$(BIN)/scic init --demo
	$(BIN)/scic stats
	$(BIN)/scic ask "Who can warn us before too much snow piles up on school roofs?"
	@if [ -n "$$SLACK_BOT_TOKEN" ] || grep -qs '^SLACK_BOT_TOKEN=.' .env; then \
		$(BIN)/scic serve; \
	else \
		echo "No SLACK_BOT_TOKEN: the same conversations in the terminal (type quit to leave)."; \
		$(BIN)/scic console; \
	fi

test: install lint types pytest ## lint, type-check and run the whole test suite

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: install
	$(BIN)/mypy .

pytest: install ## the test suite, a test file per worker (three workers)
	$(BIN)/pytest -n 3 --dist loadfile

test-any-day: install ## the whole test suite with the clock 400 days ahead (libfaketime)
	$(BIN)/python -m tests.any_day 400

fix: install ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean: ## remove the virtual environment and runtime data
	rm -rf $(VENV) data
