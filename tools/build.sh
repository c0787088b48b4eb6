#!/bin/sh
# Configure (or reconfigure) a meson build directory and build it. Usage: tools/build.sh DIR [MESON_OPTION...]
# Runs from any directory; DIR is relative to the repository root.
set -eu
cd "$(dirname "$0")/.."
dir=$1
shift
if [ -f "$dir/build.ninja" ]; then
	meson setup --reconfigure "$dir" "$@" > /dev/null
else
	meson setup "$dir" "$@" > /dev/null
fi
ninja -C "$dir"
