#!/usr/bin/env bash
# Installs what the extension-host and UI test tiers (and `npm start` without desktop VS Code) need:
#   - code-server from npm (a full VS Code 1.100.3: server, web workbench, Node extension host)
#     into .vscode-test/code-server (git-ignored), outside the extension's own package.json;
#   - checks that Debian's Chromium is there (installed by .ci/run, or: apt-get install -y chromium).
# Idempotent: does nothing when code-server is already installed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CS_DIR=${MLSIGHT_CODE_SERVER_DIR:-$ROOT/.vscode-test/code-server}
CS_VERSION=${MLSIGHT_CODE_SERVER_VERSION:-4.100.3}   # VS Code 1.100.3, the last code-server that runs on Node 20

if [ -x "$CS_DIR/node_modules/.bin/code-server" ]; then exit 0; fi

for tool in rg; do
  command -v "$tool" >/dev/null || { echo "setup: '$tool' is missing: apt-get install -y ripgrep libkrb5-dev chromium" >&2; exit 1; }
done
[ -f /usr/include/gssapi/gssapi.h ] || { echo "setup: gssapi.h missing: apt-get install -y libkrb5-dev" >&2; exit 1; }

# @vscode/ripgrep's postinstall downloads rg from GitHub, which these machines cannot reach; it first looks for
# the archive in this cache, so we seed it with Debian's rg.
RG_CACHE="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
RG_TGZ="$RG_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [ ! -f "$RG_TGZ" ]; then mkdir -p "$RG_CACHE"; tar czf "$RG_TGZ" -C "$(dirname "$(command -v rg)")" rg; fi

mkdir -p "$CS_DIR"
cd "$CS_DIR"
[ -f package.json ] || echo '{"name":"mlsight-code-server-host","private":true}' > package.json
echo "setup: installing code-server@$CS_VERSION into $CS_DIR (about a minute)"
# --unsafe-perm: code-server's postinstall refuses to run as root without it.
# npm_config_yes=true: node-pty's postinstall runs `npx node-gyp`, which must not prompt.
npm_config_yes=true npm install --no-audit --no-fund --unsafe-perm "code-server@$CS_VERSION" >"$CS_DIR/install.log" 2>&1 \
  || { tail -40 "$CS_DIR/install.log" >&2; echo "setup: code-server install failed (log: $CS_DIR/install.log)" >&2; exit 1; }
T=$(mktemp -d); XDG_CONFIG_HOME=$T XDG_DATA_HOME=$T "$CS_DIR/node_modules/.bin/code-server" --version | head -1; rm -rf "$T"
