# Quick start: `make demo` serves a demo on http://127.0.0.1:8069; `make test` runs every test.
# Both first make the project's environment (.venv, Odoo 18 and the tools): see scripts/setup.sh.
.PHONY: setup demo test lint benchmark stress pot readme

setup:
	@scripts/setup.sh >/dev/null

demo:
	@scripts/demo.sh

test:
	@scripts/test.sh

lint:
	@scripts/lint.sh

benchmark:
	@scripts/benchmark.sh

stress:
	@scripts/stress.sh

pot:
	@scripts/export_pot.sh

readme:
	@python3 scripts/gen_readme.py
	@python3 scripts/gen_readme.py --addon-dir oci_punchout_stock
