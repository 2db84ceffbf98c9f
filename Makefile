PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean browser fonts postgresql ocr-libs
# The browser tests drive Debian's chromium: Playwright's own browser download is not
# reachable from these machines. Override with `make test CHROMIUM=/path/to/chromium`.
CHROMIUM ?= /usr/bin/chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP) fonts ocr-libs
	$(BIN)/merchant-bot run

test: $(STAMP) browser fonts postgresql ocr-libs
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV)

# Installs chromium where it is missing (CI: a fresh Debian machine, as root).
browser:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium for the browser tests (apt-get)"; \
		SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "warning: no chromium at $(CHROMIUM) and no apt-get to install it;" \
			"the browser tests will fail until CHROMIUM=/path/to/chromium is set" >&2; \
	fi

# The QR voucher prints the merchant's Chinese name: it needs a font with CJK glyphs.
# Installs WenQuanYi Micro Hei (1.6 MB) where fontconfig knows no Chinese font.
fonts:
	@if command -v fc-list >/dev/null 2>&1 && [ -n "$$(fc-list :lang=zh-cn family)" ]; then :; \
	elif [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
		echo "installing a Chinese font for the QR voucher (apt-get)"; \
		SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq fonts-wqy-microhei >/dev/null; \
	else \
		echo "warning: no Chinese font and no apt-get to install one;" \
			"vouchers will omit Chinese merchant names" >&2; \
	fi

# The storage and end-to-end tests also run on PostgreSQL: a throwaway cluster the tests start
# with initdb + pg_ctl (tests/postgres.py), unless TEST_DATABASE_URL names a server.
postgresql:
	@if [ -n "$$TEST_DATABASE_URL" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| command -v initdb >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
		echo "installing PostgreSQL for the tests (apt-get)"; \
		SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; \
	else \
		echo "warning: no PostgreSQL (initdb) and no apt-get to install it;" \
			"the PostgreSQL tests will fail until it is installed or TEST_DATABASE_URL is set" >&2; \
	fi

# OCR prefill's OpenCV (a dependency of rapidocr-onnxruntime) loads libGL and GLib; without
# them OCR fails and the form asks as without it. Installs them where they are missing.
ocr-libs:
	@if ! command -v ldconfig >/dev/null 2>&1 \
		|| { ldconfig -p | grep -q 'libGL\.so\.1' && ldconfig -p | grep -q 'libglib-2\.0\.so\.0'; }; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
		echo "installing libGL and GLib for OCR (apt-get)"; \
		SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libgl1 libglib2.0-0 >/dev/null; \
	else \
		echo "warning: no libGL/GLib and no apt-get to install them;" \
			"photos are not read (OCR prefill) until they are installed" >&2; \
	fi
