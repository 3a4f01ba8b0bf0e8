# Test servers on loopback: install when missing, start on free ports in a temp dir, stop.
# Source this file; then call `services_start etcd redis [kafka]` and `services_stop`.
# Each started server exports its address: CNINFRA_TEST_ETCD, CNINFRA_TEST_REDIS,
# CNINFRA_TEST_KAFKA (host:port).

SERVICES_DIR=""
# How long a server may take to answer after its start: generous, because on a loaded
# machine etcd's first fsyncs took over 30 s once (an empty log, no error); each wait ends as
# soon as the server answers.
SERVICES_READY_LIMIT=120

# The open lock files of the ports this shell claimed (see claim_port).
SERVICES_PORT_FDS=()

log() { printf '[services] %s\n' "$*" >&2; }

# apt packages needed by the servers (test certificates are made in Rust, with rcgen), and
# `ip` and `ping` for the Linux agent's kernel tests. protoc comes from the
# protoc-bin-vendored crate (see tools/protoc), not from apt.
services_install_apt() {
  local missing=()
  command -v etcd >/dev/null 2>&1 || missing+=(etcd-server etcd-client)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server redis-tools)
  # The Redis Sentinel fault tests run Debian's `redis-sentinel` processes.
  command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  command -v ping >/dev/null 2>&1 || missing+=(iputils-ping)
  # The log hooks' syslog test runs its own rsyslogd (no service is started).
  [ -x /usr/sbin/rsyslogd ] || missing+=(rsyslog)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
}

# The dashboard's browser tests: Debian's Chromium and playwright-core (no browser download)
# in the project's tools/browser/node_modules, each installed only when missing.
services_install_browser() {
  if [ ! -x /usr/bin/chromium ]; then
    log "installing chromium"
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      chromium >/dev/null
  fi
  if [ ! -d tools/browser/node_modules/playwright-core ]; then
    command -v npm >/dev/null 2>&1 || { log "npm missing: install Node.js 20 or newer"; return 1; }
    log "installing playwright-core in tools/browser"
    npm ci --prefix tools/browser --no-audit --no-fund --silent
  fi
}

# Python's `cryptography` package: the independent RSA-OAEP implementation of the
# cryptodata interop test (crates/cninfra-cryptodata/tests/interop_etcd.rs).
services_install_python_crypto() {
  if ! python3 -c 'import cryptography' >/dev/null 2>&1; then
    log "installing Python's cryptography package"
    python3 -m pip install --quiet cryptography \
      || python3 -m pip install --quiet --break-system-packages cryptography
  fi
}

# The Kafka-protocol broker (tansu); its first build takes ~12 minutes on 2 cores.
services_install_kafka() {
  if ! tansu --version 2>/dev/null | grep -q '0.6.0'; then
    log "building the tansu broker (first time only, ~12 min)"
    cargo install tansu@0.6.0 --locked --features dynostore --quiet
  fi
}

# Ports come from below the kernel's ephemeral range (ip_local_port_range), which it uses for
# outgoing connections: 10000 up to 32000 or the start of that range.
port_range() {
  local low=32768 high
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  high=$(( low < 32000 ? low - 1 : 31999 ))
  echo "10000 $high"
}

# claim_port PORT: locks ${TMPDIR:-/tmp}/cninfra-ports/PORT.lock for this shell (until
# services_stop), as cninfra_testsupport::free_port does for each test process, so that no
# test and no other run is given the port. Fails when someone holds it.
claim_port() {
  local dir="${TMPDIR:-/tmp}/cninfra-ports" fd
  mkdir -p "$dir" 2>/dev/null || return 0
  exec {fd}>>"$dir/$1.lock" || return 0
  if flock -n "$fd"; then
    SERVICES_PORT_FDS+=("$fd")
  else
    exec {fd}>&-
    return 1
  fi
}

port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port VAR: sets VAR to a port of port_range that this shell claimed and nothing
# listens on. Not in a subshell: the claim lives in this shell.
free_port() {
  local _low _high _port  # not named like the caller's variable
  read -r _low _high < <(port_range)
  for _ in $(seq 1 200); do
    _port=$(( _low + (RANDOM * 32768 + RANDOM) % (_high - _low + 1) ))
    if claim_port "$_port" && port_is_free "$_port"; then
      printf -v "$1" '%s' "$_port"; return 0
    fi
  done
  log "no free port found"; return 1
}

# wait_until NAME SECONDS COMMAND...: polls COMMAND until it succeeds. Returns 2 when the
# server's log says its port is taken (the caller starts it again on other ports).
wait_until() {
  local name=$1 limit=$2; shift 2
  local deadline=$(( SECONDS + limit ))
  until "$@" >/dev/null 2>&1; do
    if grep -qi 'address already in use' "$SERVICES_DIR/$name.log" 2>/dev/null; then
      log "$name: its port is taken; its log:"; cat "$SERVICES_DIR/$name.log" >&2
      return 2
    fi
    if [ $SECONDS -ge $deadline ]; then
      log "$name did not become ready in ${limit}s; its log:"; cat "$SERVICES_DIR/$name.log" >&2 || true
      return 1
    fi
    sleep 0.1
  done
  log "$name ready"
}

# stop_service NAME: ends the process of NAME (its pid file), SIGKILL after 5 s.
stop_service() {
  local pidfile="$SERVICES_DIR/$1.pid" pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

# start_service NAME: runs launch_NAME on fresh ports until it is ready; when its port turns
# out to be taken, stops it and tries again on other ports (5 tries).
start_service() {
  local name=$1 try status
  for try in 1 2 3 4 5; do
    "launch_$name" || return 1
    status=0; "ready_$name" || status=$?
    [ $status -eq 0 ] && return 0
    stop_service "$name"
    [ $status -eq 2 ] || return 1
    log "$name: starting again on other ports (try $(( try + 1 )))"
  done
  return 1
}

launch_etcd() {
  local client peer
  free_port client && free_port peer || return 1
  rm -rf "$SERVICES_DIR/etcd"  # a new cluster on these ports
  bash -c 'echo $$ > "$0/etcd.pid"; exec etcd --name test --data-dir "$0/etcd" --logger zap \
    --log-level warn --listen-client-urls "http://127.0.0.1:$1" \
    --advertise-client-urls "http://127.0.0.1:$1" --listen-peer-urls "http://127.0.0.1:$2" \
    --initial-advertise-peer-urls "http://127.0.0.1:$2" --initial-cluster "test=http://127.0.0.1:$2"' \
    "$SERVICES_DIR" "$client" "$peer" >"$SERVICES_DIR/etcd.log" 2>&1 &
  export CNINFRA_TEST_ETCD="127.0.0.1:$client"
}

ready_etcd() {
  wait_until etcd "$SERVICES_READY_LIMIT" env ETCDCTL_API=3 etcdctl --endpoints="$CNINFRA_TEST_ETCD" endpoint health
}

launch_redis() {
  local port
  free_port port || return 1
  bash -c 'echo $$ > "$0/redis.pid"; exec redis-server --bind 127.0.0.1 --port "$1" --dir "$0" \
    --save "" --appendonly no --notify-keyspace-events KA' \
    "$SERVICES_DIR" "$port" >"$SERVICES_DIR/redis.log" 2>&1 &
  export CNINFRA_TEST_REDIS="127.0.0.1:$port"
}

ready_redis() {
  wait_until redis "$SERVICES_READY_LIMIT" bash -c "redis-cli -p ${CNINFRA_TEST_REDIS##*:} ping | grep -q PONG"
}

launch_kafka() {
  local port
  free_port port || return 1
  bash -c 'echo $$ > "$0/kafka.pid"; exec tansu broker --listener-url "tcp://127.0.0.1:$1" \
    --advertised-listener-url "tcp://127.0.0.1:$1" --storage-engine memory://tansu/' \
    "$SERVICES_DIR" "$port" >"$SERVICES_DIR/kafka.log" 2>&1 &
  export CNINFRA_TEST_KAFKA="127.0.0.1:$port"
}

ready_kafka() {
  wait_until kafka "$SERVICES_READY_LIMIT" bash -c "exec 3<>/dev/tcp/127.0.0.1/${CNINFRA_TEST_KAFKA##*:}"
}

services_start() {
  SERVICES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cninfra-services.XXXXXX")
  export CNINFRA_SERVICES_DIR="$SERVICES_DIR"
  local service
  for service in "$@"; do start_service "$service" || return 1; done
}

services_stop() {
  [ -n "$SERVICES_DIR" ] && [ -d "$SERVICES_DIR" ] || return 0
  local pidfile fd
  for pidfile in "$SERVICES_DIR"/*.pid; do
    [ -f "$pidfile" ] || continue
    stop_service "$(basename "$pidfile" .pid)"
  done
  for fd in "${SERVICES_PORT_FDS[@]}"; do exec {fd}>&-; done
  SERVICES_PORT_FDS=()
  rm -rf "$SERVICES_DIR"
  SERVICES_DIR=""
}
