# Top-level Makefile: each part of the project adds its targets in mk/*.mk
# (and may add prerequisites to `all`).
.PHONY: all
all:

PYTHON ?= python3
# The one installer (apt, npm, pip): `$(SETUP) GROUP...`, groups in tools/setup.sh.
SETUP = PYTHON=$(PYTHON) tools/setup.sh

include mk/*.mk
