# Top-level Makefile: each part of the project adds its targets in mk/*.mk
# (and may add prerequisites to `all`).
.PHONY: all
all:

include mk/*.mk
