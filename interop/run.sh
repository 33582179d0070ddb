#!/usr/bin/env bash
# Runs the libzmq interop suite: a venv at interop/.venv with pyzmq (libzmq 4.3.5),
# then pytest. Extra arguments go to pytest (e.g. -k PUSH, -x).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
.venv/bin/python -c 'import zmq; print("interop: libzmq", zmq.zmq_version(), "via pyzmq", zmq.pyzmq_version())'

# pytest prints its own summary line ("N passed, N xfailed ... in Ns"); -rfEx lists
# each failure and each expected failure with its reason.
set +e
.venv/bin/python -m pytest -q -rfEx "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "interop: pytest collected no tests" >&2
fi
exit "$rc"
