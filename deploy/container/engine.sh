# engine.sh — sourced by scripts/image and deploy/container/smoke: sets ENGINE
# (an array: the container command) and, for podman, CONTAINERS_CONF.
# docker when a Docker engine answers; else podman with runc (crun fails on
# this kind of hybrid-cgroup kernel) and default ulimits no higher than the
# host's hard limits (podman's defaults exceed them: containers fail to
# start). Installs podman + runc when neither engine is there.
# Expects ROOT, SUDO, log.
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  ENGINE=(docker)
else
  if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
    log "installing podman + runc"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends podman runc >/dev/null
  fi
  mkdir -p "$ROOT/build/image"
  nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] && nofile=1048576
  nproc=$(ulimit -Hu); { [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; } && nproc=32768
  cat > "$ROOT/build/image/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
CONF
  export CONTAINERS_CONF=$ROOT/build/image/containers.conf
  ENGINE=(podman)
fi
