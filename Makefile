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

bench:
	@scripts/bootstrap.sh test
	.venv/bin/python -m pytest -m bench --run-slow $(ARGS)

clean:
	rm -rf .venv .pytest_cache build *.egg-info
