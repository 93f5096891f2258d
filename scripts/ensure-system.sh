#!/usr/bin/env bash
# Makes sure the Debian packages the tests and the local VS Code need are installed:
#   libkrb5-dev (code-server's kerberos module), ripgrep (stands in for a GitHub download), chromium (UI tests),
#   python3 + git (the Python logger and its tests), numpy/pandas/scikit-learn (real training scripts in tests),
#   postgresql (team mode: unit tests start a private PostgreSQL cluster in a temporary folder).
# Installs them when running as root or with password-less sudo; otherwise prints the command and fails.
set -euo pipefail
PKGS="libkrb5-dev ripgrep chromium python3 git python3-numpy python3-pandas python3-sklearn postgresql"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "ensure-system: missing$missing and this is not a Debian/Ubuntu machine; install them with your package manager." >&2; exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo"; else
    echo "ensure-system: please run: sudo apt-get install -y$missing" >&2; exit 1
  fi
fi
echo "ensure-system: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq $missing >/dev/null
