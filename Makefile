# qdit: the two commands that set everything up on a fresh machine.
#   make reproduce   run the notebooks in order on the embedded model (PROTOCOL=quick by default, PROTOCOL=full for
#                    the protocol behind the committed figures and tables); reuses cached artefacts, so it resumes
#   make test        nbdev_test plus the checks that notebooks are clean and qdit/ is in sync with them
#   make results     RESULTS.md and README.md regenerated from the records (make readme: the README alone)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PROTOCOL ?= quick
STAMP := $(VENV)/.qdit-installed
NBS := $(sort $(filter-out nbs/_%,$(wildcard nbs/[0-9]*.ipynb)))
FMNIST_DEB_DIR := /usr/share/datasets/fashion-mnist

.PHONY: install data test check-clean check-export reproduce results readme lab

$(STAMP): settings.ini setup.py constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[dev]"
	touch $@

install: $(STAMP)

# Fashion-MNIST: $QDIT_DATA_DIR, else the Debian package (installed here when missing and running as root).
data:
	@if [ -n "$$QDIT_DATA_DIR" ] || [ -e $(FMNIST_DEB_DIR)/train-images-idx3-ubyte.gz ]; then echo "Fashion-MNIST: found"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist; \
	else echo "Fashion-MNIST not found: set QDIT_DATA_DIR to a folder with its IDX files, or run 'sudo apt-get install dataset-fashion-mnist'." >&2; exit 1; fi

# nbdev_clean must leave the notebooks unchanged.
check-clean: $(STAMP)
	@tmp=$$(mktemp -d) && cp -r nbs $$tmp/ && $(BIN)/nbdev_clean && \
	if ! diff -r -q $$tmp/nbs nbs; then echo "notebooks are not clean: run $(BIN)/nbdev_clean and commit" >&2; rm -rf $$tmp; exit 1; fi; \
	rm -rf $$tmp; echo "notebooks: clean"

# nbdev_export must leave qdit/ unchanged (new or changed files alike).
check-export: $(STAMP)
	@tmp=$$(mktemp -d) && cp -r qdit $$tmp/ && $(BIN)/nbdev_export && find qdit -name __pycache__ -prune -o -type f -print >/dev/null && \
	if ! diff -r -q -x __pycache__ $$tmp/qdit qdit; then echo "qdit/ is out of sync with the notebooks: run $(BIN)/nbdev_export and commit" >&2; rm -rf $$tmp; exit 1; fi; \
	rm -rf $$tmp; echo "qdit/: in sync with nbs/"

test: $(STAMP) check-clean check-export
	cd nbs && OMP_NUM_THREADS=1 QDIT_THREADS=1 ../$(BIN)/nbdev_test --n_workers 2 --timing
	@echo "nbdev_test: $(words $(NBS)) passed, 0 failed"

reproduce: $(STAMP) data
	@mkdir -p build/executed data/results; start=$$(date +%s); n0=$$(cat data/results/records.jsonl 2>/dev/null | wc -l); \
	for nb in $(NBS); do echo "== $$nb (PROTOCOL=$(PROTOCOL))"; \
	  (cd nbs && QDIT_PROTOCOL=$(PROTOCOL) ../$(BIN)/jupyter nbconvert --to notebook --execute \
	     --ExecutePreprocessor.timeout=-1 --output-dir ../build/executed ../$$nb) || exit 1; done; \
	$(BIN)/python -c "from qdit.report import note_run_time; note_run_time('make reproduce', '$(PROTOCOL)', $$(date +%s) - $$start, new_records=$$(cat data/results/records.jsonl | wc -l) - $$n0)"
	$(MAKE) results
	@echo "reproduce: done. Executed notebooks (with figures) in build/executed/, figures in figures/, records in data/results/."

# RESULTS.md's blocks that the records alone determine, then the README (nbs/index.ipynb, executed: its claims table
# is computed from the records)
results: $(STAMP)
	$(BIN)/python -c "from qdit.report import write_results; print(write_results())"
	$(MAKE) readme

readme: $(STAMP)
	cd nbs && ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace --log-level WARN index.ipynb
	$(BIN)/python -c "from qdit.report import write_readme; write_readme()"
	$(BIN)/nbdev_clean --fname nbs/index.ipynb

lab: $(STAMP)
	$(BIN)/jupyter lab nbs
