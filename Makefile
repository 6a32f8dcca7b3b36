# Quick start: `make demo` serves a demo on http://127.0.0.1:8069; `make test` runs every test.
.PHONY: demo test lint benchmark pot readme

demo:
	@scripts/demo.sh

test:
	@scripts/test.sh

lint:
	ruff check .
	ruff format --check .
	pylint --rcfile=.pylintrc oci_punchout

benchmark:
	@scripts/benchmark.sh

pot:
	@scripts/export_pot.sh

readme:
	@python3 scripts/gen_readme.py
