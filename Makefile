# The two commands a new user needs: `make demo` and `make test`. Both set up .venv first.
ARGS ?=

.PHONY: demo test check bench setup clean
setup:
	@scripts/bootstrap.sh demo

demo: setup
	.venv/bin/talkpuck demo $(ARGS)

test:
	@scripts/bootstrap.sh test
	@$(MAKE) --no-print-directory check
	.venv/bin/python -m pytest $(ARGS)

# lint and type checks (docs/dev/TOOLING.md); `make test` runs them before pytest
check: .venv/stubs/.installed
	.venv/bin/ruff check --quiet .
	PYRIGHT_PYTHON_IGNORE_WARNINGS=1 .venv/bin/pyright -p firmware
	.venv/bin/mypy

# pyright needs one stub folder per port (their machine.pyi differ); the pins are the dev extra's
STUB_PINS = $(shell grep -o 'micropython-[a-z0-9]*-stubs==[^" ]*' pyproject.toml)
.venv/stubs/.installed: pyproject.toml
	rm -rf .venv/stubs
	@for pin in $(STUB_PINS); do \
	  port=$${pin#micropython-}; port=$${port%%-stubs==*}; \
	  echo "stubs: $$pin -> .venv/stubs/$$port"; \
	  .venv/bin/python -m pip install -q --no-compile --target .venv/stubs/$$port "$$pin" 2>&1 | grep -v '^WARNING: Location' || true; \
	  test -f .venv/stubs/$$port/machine.pyi || exit 1; \
	done
	touch $@

# benchmarks print their figures and append them to bench/RESULTS.md; then the slow soaks
bench:
	@scripts/bootstrap.sh test
	.venv/bin/python -m pip install -q -e '.[bench]' 2>&1 | grep -v '^WARNING: Location' || true
	.venv/bin/python bench/budget.py
	.venv/bin/python bench/ring_bench.py
	.venv/bin/python bench/hal_bench.py
	.venv/bin/python bench/host_ingest.py
	.venv/bin/python bench/vad_bench.py
	.venv/bin/python -m pytest --run-slow -m "slow or bench" $(ARGS)

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache build *.egg-info
