# Shortcuts for ./dev (which needs no make): see README.
.PHONY: setup start test lint bench clean
setup start test lint bench clean:
	./dev $@
