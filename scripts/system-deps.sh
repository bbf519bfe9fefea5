#!/usr/bin/env bash
# Java 17 (DynamoDB Local) and Chromium (browser tests) from Debian's packages; `system-deps.sh java`
# for Java alone (what `make run` needs). As root, installs what is missing; otherwise names the exact
# command and fails.
set -euo pipefail
wanted="${1:-all}"
missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
if [ "$wanted" = "all" ]; then
  test -x /usr/bin/chromium || missing+=(chromium)
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ]; then
  echo "installing ${missing[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "missing system packages: ${missing[*]}" >&2
  echo "run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
