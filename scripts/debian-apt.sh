#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/debian-apt.sh apt-get|apt-cache ARGS...
#
# Run apt-get or apt-cache on a private apt configuration that sees the
# Debian suites whose kernels we build against: bookworm (6.1, 6.12 from
# backports), trixie (6.12), trixie-backports (6.16 to 7.x) and sid, binary
# and source. It lives in the cache, outside the checkout, so that the
# machine's own apt never sees these suites and never upgrades from them.
# The mirror is the one the machine's apt already uses for Debian.
set -euo pipefail

cache=${VSOCK_FWD_CACHE:-/var/cache/vhost-vsock-fwd}/apt
suites=(bookworm bookworm-backports trixie trixie-backports sid)

# The Debian archive the machine's apt is configured with.
mirror() {
	# shellcheck disable=SC2016 # apt's own \$(...) fields
	apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' |
		awk '$3 == "main" && $2 !~ /-security$/ { print $1; exit }'
}

opts=(-o "Dir::Etc::SourceList=$cache/sources.list"
      -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$cache/lists"
      -o "Dir::Cache=$cache/cache"
      -o Dir::State::status=/dev/null
      -o APT::Architecture=amd64)

# Refresh the lists when missing or older than a day.
refresh() {
	local uri s
	mkdir -p "$cache/lists/partial" "$cache/cache/archives/partial"
	if [ ! -s "$cache/sources.list" ]; then
		uri=$(mirror)
		if [ -z "$uri" ]; then
			echo "debian-apt: no Debian mirror in the machine's apt configuration" >&2
			exit 1
		fi
		for s in "${suites[@]}"; do
			printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' "$uri" "$s"
			printf 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' "$uri" "$s"
		done > "$cache/sources.list.tmp"
		mv "$cache/sources.list.tmp" "$cache/sources.list"
	fi
	if [ -z "$(find "$cache/lists" -maxdepth 1 -name '*_Sources*' -mmin -1440 -print -quit)" ]; then
		echo "  APT     update (Debian kernel suites)" >&2
		apt-get "${opts[@]}" -qq update >&2
	fi
}

mkdir -p "$cache"
cmd=${1:?usage: debian-apt.sh apt-get|apt-cache ARGS...}
shift
case "$cmd" in
apt-get|apt-cache) ;;
*) echo "debian-apt: $cmd: not apt-get or apt-cache" >&2; exit 2 ;;
esac

(
	flock 9
	refresh
) 9> "$cache.lock"
exec "$cmd" "${opts[@]}" "$@"
