#!/usr/bin/env bash
# pa11y with the HTML_CodeSniffer runner over every page an anonymous visitor and the co-ordinator
# reach by links from the home page, on the demo served on loopback.
#
# The browser suite's harness does the work (pcc_dashboard/tests/browser/test_pa11y.py): it sets up
# a throwaway SQLite database with the demo (seed_demo), serves it with runserver on a free
# 127.0.0.1 port, crawls the pages, and runs scripts/pa11y.mjs in Debian's chromium. pa11y comes
# from npm (package.json devDependencies); nothing else is downloaded. Exits non-zero on any error.
#
#   bash scripts/pa11y.sh        (make install-dev first)
set -euo pipefail
cd "$(dirname "$0")/.."
test -d node_modules/pa11y || npm ci --no-audit --no-fund --loglevel=error
exec .venv/bin/pytest -q -m browser -p no:randomly -s pcc_dashboard/tests/browser/test_pa11y.py "$@"
