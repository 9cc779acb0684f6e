#!/usr/bin/env bash
# Things the test suite needs beyond Python packages; each step is idempotent.
set -euo pipefail
true
