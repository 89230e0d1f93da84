#!/bin/sh
# Installs the system packages Reconnect needs, when it can; otherwise names them.
# Usage: setup-system.sh [PACKAGE-LIST-FILE ...]
set -eu
PYTHON=${PYTHON:-python3}
missing=""

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    missing="$missing python3"
elif ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "Reconnect needs Python 3.11 or newer; $PYTHON is $("$PYTHON" -V 2>&1)." >&2
    exit 1
elif ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    missing="$missing python3-venv python3-pip"
fi

# Package lists to install: the assistant's by default, or the files named (bench-packages.txt).
lists=${*:-"$(dirname "$0")/system-packages.txt"}
for pkg in $(cat $lists | sed 's/#.*//'); do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing system packages:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
else
    echo "Reconnect needs these system packages:$missing" >&2
    echo "Install them with: sudo apt-get install$missing" >&2
    exit 1
fi
