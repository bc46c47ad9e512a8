#!/bin/sh
# Install the Debian packages sakimori needs to build, test and run its demo.
# Only what is missing is installed; `apt-get update` runs first whenever something is.
set -eu

PKGS="make gcc clang llvm libclang-rt-14-dev pkg-config
      libpcap-dev libloc-dev libloc-database libhyperscan-dev libjansson-dev
      libsodium-dev libmd-dev libcmocka-dev libmicrohttpd-dev libsqlite3-dev libcurl4-openssl-dev
      tshark tcpdump tcpreplay iproute2 curl jq sqlite3"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
