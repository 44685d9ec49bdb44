#!/usr/bin/env bash
# The container image end to end (issue 8): scripts/image --smoke on the real
# tree, from whatever state the machine is in (on a fresh one: the mmdebstrap
# base, then the image). PASS only when the image builds and
# deploy/container/smoke passes: healthy (HEALTHCHECK), not root, eagle.jpg
# classified as bald eagle through the published port, exit 0 on `stop` with
# requests in flight.
# Usage: container_image.sh SOURCE_DIR SHARED_DIR
# Exit 77 (skipped) only when this machine cannot run containers at all: a
# trivial container (the host's /usr/bin/true, with a published port) fails
# to run; the engine's own error is printed. A missing engine is installed
# (deploy/container/engine.sh; scripts/setup installs it already), and
# anything else that fails is a failure, not a skip.
set -euo pipefail
ROOT=$(cd "$1" && pwd) SHARED=$2
log() { printf '[container_image] %s\n' "$*" >&2; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export CP_SMOKE_IMAGE=$SHARED/images/eagle.jpg
[ -f "$CP_SMOKE_IMAGE" ] || { echo "FAIL: no $CP_SMOKE_IMAGE"; exit 1; }
cd "$ROOT"
# shellcheck source=/dev/null
. "$ROOT/deploy/container/engine.sh"

# ---- can containers run here? ------------------------------------------------------
WORK=$(mktemp -d)
PROBE=localhost/cross_pictures-probe:$$
cleanup() { "${ENGINE[@]}" rmi -f "$PROBE" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
# An image of /usr/bin/true and the libraries it loads (dereferenced: /lib64
# may be a symlink on the host).
mapfile -t files < <(ldd /usr/bin/true | grep -o '/[^ ]*' | sort -u)
tar -chf "$WORK/probe.tar" /usr/bin/true "${files[@]}" 2>/dev/null
"${ENGINE[@]}" import "$WORK/probe.tar" "$PROBE" >/dev/null 2>"$WORK/probe.err" \
  || { cat "$WORK/probe.err" >&2; echo "FAIL: ${ENGINE[*]} import failed (see above)"; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if ! "${ENGINE[@]}" run --rm -p "127.0.0.1:$port:8000" "$PROBE" /usr/bin/true >"$WORK/probe.err" 2>&1; then
  echo "SKIP: this machine cannot run containers: '${ENGINE[*]} run' of a trivial container (the host's /usr/bin/true, port published) failed:"
  sed 's/^/  /' "$WORK/probe.err"
  if [ "$(id -u)" -ne 0 ]; then
    echo "  (rootless: user namespaces $(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo '?')," \
      "subuid entry for $(id -un): $(grep -c "^$(id -un):" /etc/subuid 2>/dev/null || echo 0))"
  fi
  exit 77
fi
log "a trivial container runs (${ENGINE[*]})"

# ---- the image ---------------------------------------------------------------------
t0=$SECONDS
"$ROOT/scripts/image" --smoke
log "PASS: image built and smoke-tested in $((SECONDS - t0)) s"
