# Salesplay: `make lab` to explore, `make test` to check everything. Both set themselves up.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= playbooks/b2b_saas.yaml

.PHONY: lab test lint format docs bench dashboard clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the dependencies change (the stamp is older than pyproject.toml).
$(VENV)/.installed-lab: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[lab]"
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# Jupyter refuses to run as root unless told (containers, CI machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(VENV)/.installed-lab
	$(BIN)/jupyter lab $(ROOT_FLAG) notebooks/

# The suite on both cores, then every notebook top to bottom (nbval; a notebook's cells must
# share one kernel, so notebooks run in their own, serial pass) with few replications. Hypothesis
# runs its CI profile (tests/conftest.py): the same examples every run, no example database.
test: export SALESPLAY_REPLICATIONS ?= 4
# The dashboard server's load test opens and closes the annual plan this many times (each visit starts a
# kernel and its workers); `SALESPLAY_VISITS=20 make test` runs the full twenty.
test: export SALESPLAY_VISITS ?= 5
test: export TQDM_DISABLE = 1
# The Olist data is not shipped (non-commercial licence): use a copy beside the project if there is one.
test: export SALESPLAY_OLIST_DIR ?= $(if $(wildcard ../shared/data/olist-marketing-funnel/.),$(abspath ../shared/data/olist-marketing-funnel))
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q --hypothesis-profile=ci
	$(BIN)/python -m pytest --nbval-lax -q notebooks

# The director's dashboards as web apps (code hidden) on 127.0.0.1: the folder's page lists them
# (annual plan, allocation, incentive design); DASHBOARDS=notebooks/director/annual_plan.ipynb serves one.
# dashboard/voila.py sets the server up: pages that ask for nothing outside this machine, a page's
# kernel shut down when the page is closed or left (its worker processes end with it), and kernels
# no page is connected to culled once idle CULL_SECONDS (a browser that crashed says nothing).
# PREHEAT=1 keeps a kernel that has already run the page ready for the next visitor (Voila's preheat:
# the page then loads in seconds; at the cost of a kernel and its workers held, and each page run
# twice), meant for one notebook: DASHBOARDS=notebooks/director/annual_plan.ipynb PREHEAT=1.
DASHBOARDS ?= notebooks/director
PORT ?= 8866
CULL_SECONDS ?= 120
PREHEAT ?=
dashboard: $(VENV)/.installed-lab
	$(BIN)/voila --Voila.config_file_paths=dashboard --Voila.ip=127.0.0.1 --port=$(PORT) --no-browser \
		--MappingKernelManager.cull_idle_timeout=$(CULL_SECONDS) $(if $(PREHEAT),--preheat_kernel=True) $(DASHBOARDS)

# ruff's lint rules and layout (pyproject.toml); `make test` checks the same through tests/test_lint.py.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check sim tests benchmarks docs
	$(BIN)/ruff format --check sim tests benchmarks docs

# Lay the code out as `make lint` expects.
format: $(VENV)/.installed-test
	$(BIN)/ruff format sim tests benchmarks docs

# The documentation site into site/ (tests/test_docs.py builds it with --strict in `make test`).
docs: $(VENV)/.installed-test
	$(BIN)/mkdocs build --strict

# Prints every benchmark's figures beside its baseline and writes them to docs/performance.md.
bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build site *.egg-info
