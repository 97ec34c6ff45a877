# OneNumber — two commands: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
ONENUMBER := $(VENV)/bin/onenumber

.PHONY: run test bench lint clean deps

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[test]'
	@touch $@

deps: $(VENV)/.installed
	@bash tools/system-deps.sh run

run: deps
	@mkdir -p var
	$(ONENUMBER) db upgrade
	$(ONENUMBER) seed
	@echo ""
	@echo "OneNumber is starting on http://127.0.0.1:8000"
	@echo "  网上办事大厅 / web hall:     http://127.0.0.1:8000/hall"
	@echo "  核验 / public verify page:   http://127.0.0.1:8000/verify"
	@echo "  API docs:                    http://127.0.0.1:8000/docs"
	@echo "  OIDC discovery:              http://127.0.0.1:8000/.well-known/openid-configuration"
	@echo "  readiness:                   http://127.0.0.1:8000/readyz"
	@bash tools/proofing-simulator.sh $(PY) 8700
	@echo "  实名认证 simulator:           http://127.0.0.1:8700 (SMS codes: /sms/outbox?phone=… or var/sms.log)"
	trap 'kill $$(cat var/proofing-simulator.pid) 2>/dev/null' EXIT; \
	  ONENUMBER_PROOFING_URL=http://127.0.0.1:8700 ONENUMBER_PROOFING_JWKS_URL=http://127.0.0.1:8700/jwks.json \
	  $(ONENUMBER) serve --host 127.0.0.1 --port 8000

test: $(VENV)/.installed
	@bash tools/test.sh

bench: $(VENV)/.installed
	@bash tools/bench.sh

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean:
	rm -rf var test-artifacts .pytest_cache .mypy_cache .ruff_cache
