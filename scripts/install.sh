#!/usr/bin/env bash
# Set up everything the app and its tests need, idempotently:
#   scripts/install.sh            Python virtualenv .venv from requirements.lock (the app)
#   scripts/install.sh --dev      from requirements-test.lock instead (also pytest, playwright, ruff, mypy, ...)
#   scripts/install.sh --browser  --dev, plus Debian's chromium and wrk for the browser and load tests
# The locks pin every package with its hashes (`make lock` compiles them from requirements*.txt);
# the venv is (re)built when missing or when the lock changed since it was made.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
want_browser=0
want_dev=0
for arg in "$@"; do
  case "$arg" in
    --dev) want_dev=1 ;;
    --browser) want_browser=1; want_dev=1 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

# requirements-test.lock holds everything requirements.lock does. One stamp per set, so `make run`
# after `make test` does not reinstall, and the image (app only) never gets the test packages.
if [ "$want_dev" = 1 ]; then
  lock=requirements-test.lock; STAMP="$VENV/.requirements-test.sha256"
else
  lock=requirements.lock; STAMP="$VENV/.requirements.sha256"
fi
requirements_hash=$(cat "$lock" | sha256sum | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$requirements_hash" ]; then
  echo "==> installing Python packages into $VENV"
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  # torch first and pinned: an unpinned torch (or one pulled in by sentence-transformers)
  # would be the multi-GB CUDA build. Our machines have the 2.13.0 CPU build on local disk;
  # elsewhere (the Docker image) TORCH_INDEX_URL points pip at PyTorch's CPU-only wheels.
  torch_pin="$(grep -E '^torch==' requirements.txt)"
  if [ -n "${TORCH_INDEX_URL:-}" ]; then
    "$VENV/bin/pip" install --quiet --index-url "$TORCH_INDEX_URL" "$torch_pin"
  else
    "$VENV/bin/pip" install --quiet "$torch_pin"
  fi
  # --require-hashes: every package, dependencies included, must be the exact file the lock names.
  "$VENV/bin/pip" install --quiet --require-hashes -r "$lock"
  echo "$requirements_hash" > "$STAMP"
fi

if [ "$want_browser" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  echo "==> installing Debian chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi

if [ "$want_browser" = 1 ] && ! command -v redis-server >/dev/null 2>&1; then
  echo "==> installing Debian redis-server for the shared rate-limit test (tests/test_redis_limits.py)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
fi

if [ "$want_browser" = 1 ] && ! command -v wrk >/dev/null 2>&1; then
  echo "==> installing wrk for the load test (tests/test_soak.py)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi
