#!/bin/sh
# Install what simpki needs to build, demonstrate and test on Debian 12 (run as root). Safe to run again.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
	meson ninja-build pkg-config gcc libc6-dev python3 \
	libssl-dev openssl libcmocka-dev libosmocore-dev \
	clang libclang-rt-14-dev binutils coreutils iproute2 util-linux \
	pcscd vsmartcard-vpcd libpcsclite-dev opensc pcsc-tools \
	osmo-stp osmo-hlr osmo-msc libosmo-sigtran-dev libsmpp34-dev tshark \
	libsqlite3-dev sqlite3 libmicrohttpd-dev libgnutls28-dev libjansson-dev curl libcurl4-openssl-dev tmux
