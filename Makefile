# Quartermaster: `make demo` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo demo-data test install lint bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)
	@echo "install: .venv ready"

install: $(STAMP)

demo-data: $(STAMP)
	$(BIN)/qm db upgrade
	$(BIN)/qm demo generate --scale $${QM_DEMO_SCALE:-medium} --if-empty

demo: demo-data
	$(BIN)/qm demo serve

# lint-imports checks the import contracts of pyproject.toml (docs/architecture.md): one
# line when they hold; the broken contracts and that line, and a failed target, if not.
IMPORTS_CHECK = out=$$($(BIN)/lint-imports --no-cache 2>&1); rc=$$?; \
	if [ $$rc -ne 0 ]; then echo "$$out" | sed -n '/Broken contracts/,$$p'; fi; \
	echo "lint-imports: $$(echo "$$out" | grep -E '^Contracts: ' || echo "did not run (exit $$rc)")"; \
	exit $$rc

# mypy checks transactional, forecasting and qm (pyproject.toml [tool.mypy]; the ledger core
# strict): one line when clean; the errors, that line and a failed target if not.
MYPY_CHECK = out=$$($(BIN)/mypy 2>&1); rc=$$?; \
	last=$$(echo "$$out" | tail -n 1); \
	if [ $$rc -ne 0 ]; then echo "$$out" | sed '$$d'; fi; \
	case "$$last" in \
	  Success:*) echo "mypy: $$(echo "$$last" | sed -E 's/^Success: no issues found in ([0-9]+) source files?/no issues in \1 files/')";; \
	  Found*) echo "mypy: $$last";; \
	  *) echo "$$last"; echo "mypy: did not run (exit $$rc)";; \
	esac; \
	exit $$rc

# ruff format --check over the Python folders: one line when every file is formatted; the
# files it would change, that line and a failed target if not (`ruff format` fixes them).
PY_DIRS = qm demo transactional pipelines forecasting dashboards tests bench
FORMAT_CHECK = out=$$($(BIN)/ruff format --check --output-format concise $(PY_DIRS) 2>&1); rc=$$?; \
	last=$$(echo "$$out" | tail -n 1); \
	if [ $$rc -ne 0 ]; then echo "$$out" | sed '$$d'; fi; \
	case "$$last" in \
	  *reformatted*) echo "ruff format: $$last (run: ruff format $(PY_DIRS))";; \
	  *formatted) echo "ruff format: $$last";; \
	  *) echo "$$last"; echo "ruff format: did not run (exit $$rc)";; \
	esac; \
	exit $$rc

# pytest-xdist: one worker per core (TEST_WORKERS=1 for a serial run); tests sharing an
# expensive fixture stay on one worker (tests/conftest.py, xdist groups)
TEST_WORKERS ?= auto

test: $(STAMP)
	@$(FORMAT_CHECK)
	@$(MYPY_CHECK)
	@$(IMPORTS_CHECK)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check $(PY_DIRS)
	@$(FORMAT_CHECK)
	@$(MYPY_CHECK)
	$(BIN)/sqlfluff lint dbt_project/models --processes 2
	@$(IMPORTS_CHECK)

clean:
	rm -rf $(VENV) data/*.sqlite* data/*.duckdb* dbt_project/target .mypy_cache
