#!/usr/bin/env bash
# Build the environment bench/decode.py runs in: speechkit plus its peers, pyctcdecode 0.5.0 and flashlight-text.
# pyctcdecode pins numpy<2, so it gets its own virtualenv: installed beside speechkit it would downgrade numpy
# under whatever already runs there. Usage: bash bench/make_peer_env.sh [DIR]   (default .venv-peers)
set -euo pipefail
cd "$(dirname "$0")/.."
env=${1:-.venv-peers}
python3 -m venv "$env"
"$env/bin/pip" install -q -e '.[bench]' 'pyctcdecode==0.5.0'
echo "peer environment ready: $env/bin/python bench/decode.py --help"
