# Test servers on loopback: install when missing, start on free ports in a temp dir, stop.
# Source this file; then call `services_start etcd redis [kafka]` and `services_stop`.
# Each started server exports its address: CNINFRA_TEST_ETCD, CNINFRA_TEST_REDIS,
# CNINFRA_TEST_KAFKA (host:port).

SERVICES_DIR=""

log() { printf '[services] %s\n' "$*" >&2; }

# apt packages needed by the servers (test certificates are made in Rust, with rcgen).
# protoc comes from the protoc-bin-vendored crate (see tools/protoc), not from apt.
services_install_apt() {
  local missing=()
  command -v etcd >/dev/null 2>&1 || missing+=(etcd-server etcd-client)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server redis-tools)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
}

# The Kafka-protocol broker (tansu); its first build takes ~12 minutes on 2 cores.
services_install_kafka() {
  if ! tansu --version 2>/dev/null | grep -q '0.6.0'; then
    log "building the tansu broker (first time only, ~12 min)"
    cargo install tansu@0.6.0 --locked --features dynostore --quiet
  fi
}

port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$(( 20000 + RANDOM % 20000 ))
    if port_is_free "$port"; then echo "$port"; return 0; fi
  done
  log "no free port found"; return 1
}

# wait_until NAME SECONDS COMMAND...: polls COMMAND until it succeeds.
wait_until() {
  local name=$1 limit=$2; shift 2
  local deadline=$(( SECONDS + limit ))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      log "$name did not become ready in ${limit}s; its log:"; cat "$SERVICES_DIR/$name.log" >&2 || true
      return 1
    fi
    sleep 0.1
  done
  log "$name ready"
}

start_etcd() {
  local client peer
  client=$(free_port); peer=$(free_port)
  bash -c 'echo $$ > "$0/etcd.pid"; exec etcd --name test --data-dir "$0/etcd" --logger zap \
    --log-level warn --listen-client-urls "http://127.0.0.1:$1" \
    --advertise-client-urls "http://127.0.0.1:$1" --listen-peer-urls "http://127.0.0.1:$2" \
    --initial-advertise-peer-urls "http://127.0.0.1:$2" --initial-cluster "test=http://127.0.0.1:$2"' \
    "$SERVICES_DIR" "$client" "$peer" >"$SERVICES_DIR/etcd.log" 2>&1 &
  export CNINFRA_TEST_ETCD="127.0.0.1:$client"
  wait_until etcd 30 env ETCDCTL_API=3 etcdctl --endpoints="$CNINFRA_TEST_ETCD" endpoint health
}

start_redis() {
  local port
  port=$(free_port)
  bash -c 'echo $$ > "$0/redis.pid"; exec redis-server --bind 127.0.0.1 --port "$1" --dir "$0" \
    --save "" --appendonly no --notify-keyspace-events KA' \
    "$SERVICES_DIR" "$port" >"$SERVICES_DIR/redis.log" 2>&1 &
  export CNINFRA_TEST_REDIS="127.0.0.1:$port"
  wait_until redis 30 bash -c "redis-cli -p $port ping | grep -q PONG"
}

start_kafka() {
  local port
  port=$(free_port)
  bash -c 'echo $$ > "$0/kafka.pid"; exec tansu broker --listener-url "tcp://127.0.0.1:$1" \
    --advertised-listener-url "tcp://127.0.0.1:$1" --storage-engine memory://tansu/' \
    "$SERVICES_DIR" "$port" >"$SERVICES_DIR/kafka.log" 2>&1 &
  export CNINFRA_TEST_KAFKA="127.0.0.1:$port"
  wait_until kafka 30 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
}

services_start() {
  SERVICES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cninfra-services.XXXXXX")
  export CNINFRA_SERVICES_DIR="$SERVICES_DIR"
  local service
  for service in "$@"; do "start_$service"; done
}

services_stop() {
  [ -n "$SERVICES_DIR" ] && [ -d "$SERVICES_DIR" ] || return 0
  local pidfile pid
  for pidfile in "$SERVICES_DIR"/*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$SERVICES_DIR"
  SERVICES_DIR=""
}
