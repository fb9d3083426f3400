#!/bin/sh
# Container entry point: serve | cron | migrate | backup | restore | shell (see
# ipwb/deploy/entrypoint.py). Configuration comes from the environment and *_FILE secrets only.
set -eu
python="${IPWB_PYTHON:-/opt/venv/bin/python}"
[ -x "$python" ] || python=python3
exec "$python" -m ipwb.deploy.entrypoint "$@"
