# The two commands a new user needs: `make demo` and `make test`. Both set up .venv first.
ARGS ?=

.PHONY: demo test bench setup clean
setup:
	@scripts/bootstrap.sh demo

demo: setup
	.venv/bin/talkpuck demo $(ARGS)

test:
	@scripts/bootstrap.sh test
	.venv/bin/python -m pytest $(ARGS)

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
	rm -rf .venv .pytest_cache build *.egg-info
