#!/usr/bin/env bash
# Run Apache Kafka (KRaft, combined broker+controller nodes) locally without
# Docker. The jars come from Maven Central through Maven and are cached under
# "${PAYSAGA_CACHE:-$HOME/.cache/paysaga}/kafka-<version>/libs".
#
#   scripts/kafka.sh fetch                  resolve and cache the jars only
#   scripts/kafka.sh start [--brokers 1|3]  wipe + format + start, wait until up
#   scripts/kafka.sh stop                   stop every node (idempotent)
#   scripts/kafka.sh stop-node N            stop one node, keep its data
#   scripts/kafka.sh start-node N           restart one node on its data, wait
#   scripts/kafka.sh status                 exit 0 when every node is up
#   scripts/kafka.sh topics [args...]       kafka-topics (TopicCommand)
#   scripts/kafka.sh groups [args...]       kafka-consumer-groups
#   scripts/kafka.sh bootstrap              print the bootstrap server list
#
# Environment: KAFKA_VERSION (4.1.1), KAFKA_PORT (9092), PAYSAGA_CACHE
# (~/.cache/paysaga), KAFKA_DATA_DIR ($PAYSAGA_CACHE/kafka-data),
# KAFKA_START_TIMEOUT (90 s), KAFKA_STOP_TIMEOUT (30 s), KAFKA_LOG_LEVEL (INFO,
# level of the broker's own loggers in server.log; everything else is WARN).
# See docs/kafka-local.md.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRIPT_PATH="$SCRIPT_DIR/$(basename "${BASH_SOURCE[0]}")"
SCRIPT_NAME="scripts/$(basename "${BASH_SOURCE[0]}")"

PAYSAGA_CACHE="${PAYSAGA_CACHE:-$HOME/.cache/paysaga}"
DATA_DIR="${KAFKA_DATA_DIR:-$PAYSAGA_CACHE/kafka-data}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
LOG_LEVEL="${KAFKA_LOG_LEVEL:-INFO}"
STATE_FILE="$DATA_DIR/cluster.env"
MARKER_FILE="$DATA_DIR/.paysaga-kafka-data"

# Main classes (checked with `unzip -l` against the 4.1.1 jars; the tools
# moved from kafka.admin (Scala) to org.apache.kafka.tools over 3.x, so
# resolve_classes picks whichever the cached jars hold).
MAIN_BROKER=kafka.Kafka
MAIN_STORAGE=kafka.tools.StorageTool
MAIN_TOPICS=org.apache.kafka.tools.TopicCommand
MAIN_GROUPS=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand
MAIN_API_VERSIONS=org.apache.kafka.tools.BrokerApiVersionsCommand

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  sed -n '2,/^# See docs/p' "$SCRIPT_PATH" | sed 's/^# \{0,1\}//' >&2
}

# ---------------------------------------------------------------- state ----
# Values recorded by `start`; later commands use them (not the environment),
# so stop-node / topics talk to the cluster that is really running.
load_state() {
  BROKERS=1
  BASE_PORT="${KAFKA_PORT:-9092}"
  KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
  if [[ -f "$STATE_FILE" ]]; then
    # shellcheck disable=SC1090
    source "$STATE_FILE"
  fi
  set_version_paths
}

set_version_paths() {
  KAFKA_CACHE_DIR="$PAYSAGA_CACHE/kafka-$KAFKA_VERSION"
  LIBS="$KAFKA_CACHE_DIR/libs"
}

client_port() { echo $((BASE_PORT + 2 * ($1 - 1))); }
controller_port() { echo $((BASE_PORT + 2 * ($1 - 1) + 1)); }
node_dir() { echo "$DATA_DIR/node-$1"; }

bootstrap_list() {
  local i out=""
  for ((i = 1; i <= BROKERS; i++)); do
    out+="${out:+,}127.0.0.1:$(client_port "$i")"
  done
  echo "$out"
}

# Nodes whose client port is open (all of them if none is): keeps the tools
# from warning about a node stopped by stop-node.
live_bootstrap_list() {
  local i out=""
  for ((i = 1; i <= BROKERS; i++)); do
    if port_open "$(client_port "$i")"; then out+="${out:+,}127.0.0.1:$(client_port "$i")"; fi
  done
  if [[ -n "$out" ]]; then echo "$out"; else bootstrap_list; fi
}

check_node_arg() {
  [[ "${1:-}" =~ ^[0-9]+$ ]] || die "expected a node number, got '${1:-}'"
  ((${1} >= 1 && ${1} <= BROKERS)) ||
    die "node $1 does not exist (cluster has $BROKERS node(s); run '$SCRIPT_NAME start' first?)"
}

# ----------------------------------------------------------------- jars ----
need_cmd() { command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed ($2)"; }

write_pom() { # $1 = file, $2 = extra dependency xml
  cat >"$1" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.paysaga</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <!-- broker, controller, StorageTool; pulls kafka-server, kafka-storage,
         kafka-raft, kafka-metadata, log4j-core (4.x) transitively -->
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <!-- TopicCommand, ConsumerGroupCommand, perf tools -->
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
$2
  </dependencies>
</project>
EOF
}

run_mvn() { # $1 = project dir, $2 = output dir
  # Run from the throwaway project dir so no .mvn/ of the caller's cwd applies.
  (cd "$1" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$2") >"$1/mvn.log" 2>&1 || {
    tail -n 40 "$1/mvn.log" >&2
    die "maven could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION (see above)"
  }
}

jar_version() { # $1 = dir, $2 = artifact id; prints the version or nothing
  local f
  for f in "$1/$2"-[0-9]*.jar; do
    [[ -f "$f" ]] || continue
    f="${f##*/"$2"-}"
    echo "${f%.jar}"
    return 0
  done
}

ensure_libs() {
  if [[ ! -f "$LIBS/.complete" ]]; then
    fetch_libs
  fi
  resolve_classes
}

fetch_libs() {
  need_cmd mvn "Maven resolves the Kafka jars"
  need_cmd java "Kafka needs Java 17+"
  log "resolving Kafka $KAFKA_VERSION jars with Maven (first run only)..."
  local t0=$SECONDS tmp
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/paysaga-kafka-pom.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT

  # Pass 1: what does this Kafka version resolve to (slf4j-api, log4j-core)?
  mkdir -p "$tmp/p1" "$tmp/p2"
  write_pom "$tmp/p1/pom.xml" ""
  run_mvn "$tmp/p1" "$tmp/libs1"
  local slf4j log4j binding
  slf4j="$(jar_version "$tmp/libs1" slf4j-api)"
  log4j="$(jar_version "$tmp/libs1" log4j-core)"
  [[ -n "$slf4j" ]] || die "no slf4j-api among the resolved jars"
  # The SLF4J binding is not transitive: without one the broker logs nothing.
  if [[ -n "$log4j" ]]; then # Kafka 4.x: log4j2
    if [[ "$slf4j" == 1.* ]]; then binding="log4j-slf4j-impl"; else binding="log4j-slf4j2-impl"; fi
    binding="<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>$binding</artifactId><version>$log4j</version><scope>runtime</scope></dependency>"
  else # Kafka 3.x: reload4j (log4j 1 API)
    binding="<dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>$slf4j</version><scope>runtime</scope></dependency>"
  fi

  # Pass 2: the same plus the binding, into the cache.
  write_pom "$tmp/p2/pom.xml" "    $binding"
  mkdir -p "$KAFKA_CACHE_DIR"
  local staging="$KAFKA_CACHE_DIR/libs.tmp.$$"
  rm -rf "$staging"
  run_mvn "$tmp/p2" "$staging"
  [[ "$(jar_version "$staging" slf4j-api)" == "$slf4j" ]] ||
    die "adding the logging binding changed slf4j-api; fix ensure_libs"
  [[ -f "$staging/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing"
  cp "$tmp/p2/pom.xml" "$KAFKA_CACHE_DIR/resolved-pom.xml"
  (cd "$staging" && ls -1 -- *.jar) >"$staging/.complete"
  if [[ -f "$LIBS/.complete" ]]; then
    rm -rf "$staging" # another run finished first
  else
    rm -rf "$LIBS"
    mv "$staging" "$LIBS"
  fi
  rm -rf "$tmp"
  trap - EXIT
  log "cached $(wc -l <"$LIBS/.complete") jars in $LIBS ($((SECONDS - t0)) s)"
}

# First class (of the arguments) present in the cached Kafka jars. Entry
# names are stored uncompressed in a jar, so grep finds them without unzip.
pick_class() {
  local c
  for c in "$@"; do
    if grep -qaF -- "${c//.//}.class" "$LIBS"/kafka*.jar 2>/dev/null; then
      echo "$c"
      return 0
    fi
  done
  echo "$1"
}

resolve_classes() {
  MAIN_TOPICS="$(pick_class org.apache.kafka.tools.TopicCommand kafka.admin.TopicCommand)"
  MAIN_GROUPS="$(pick_class org.apache.kafka.tools.consumer.group.ConsumerGroupCommand kafka.admin.ConsumerGroupCommand)"
  MAIN_API_VERSIONS="$(pick_class org.apache.kafka.tools.BrokerApiVersionsCommand kafka.admin.BrokerApiVersionsCommand)"
}

# ------------------------------------------------------------ processes ----
# Every broker JVM carries -Dpaysaga.kafka.node=<node dir>, so it can be found
# (and told apart from a recycled PID) without trusting the pid file alone.
node_marker() { echo "-Dpaysaga.kafka.node=$(node_dir "$1")"; }

has_arg() { # $1 = pid, $2 = exact argument
  local cmdline="/proc/$1/cmdline"
  [[ -r "$cmdline" ]] || return 1
  tr '\0' '\n' <"$cmdline" 2>/dev/null | grep -qxF -- "$2"
}

node_pids() { # pids of node $1 (normally zero or one)
  local marker pidf pid
  marker="$(node_marker "$1")"
  pidf="$(node_dir "$1")/kafka.pid"
  if [[ -f "$pidf" ]]; then
    pid="$(cat "$pidf" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]] && has_arg "$pid" "$marker"; then
      echo "$pid"
      return 0
    fi
  fi
  # pgrep narrows the candidates; has_arg then compares the exact argument.
  for pid in $(pgrep -f -- '-Dpaysaga[.]kafka[.]node=' || true); do
    if has_arg "$pid" "$marker"; then echo "$pid"; fi
  done
  return 0
}

pid_alive() { kill -0 "$1" 2>/dev/null && [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != "Z" ]]; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Stop the given nodes together: SIGTERM, wait up to STOP_TIMEOUT, SIGKILL.
stop_nodes() {
  local n pid pids=() deadline
  for n in "$@"; do
    for pid in $(node_pids "$n"); do
      pids+=("$pid")
      log "stopping node $n (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
    done
  done
  if ((${#pids[@]})); then
    deadline=$((SECONDS + STOP_TIMEOUT))
    while ((SECONDS < deadline)); do
      local alive=0
      for pid in "${pids[@]}"; do
        if pid_alive "$pid"; then alive=1; fi
      done
      ((alive)) || break
      sleep 0.2
    done
    for pid in "${pids[@]}"; do
      if pid_alive "$pid"; then
        log "pid $pid still running after ${STOP_TIMEOUT}s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
      fi
    done
    for pid in "${pids[@]}"; do
      while pid_alive "$pid"; do sleep 0.1; done
    done
  fi
  for n in "$@"; do rm -f "$(node_dir "$n")/kafka.pid"; done
}

# A kafka.Kafka JVM of an earlier start (maybe another data dir) holding one
# of our ports is stopped; anything else on the port is an error.
free_port() {
  local port="$1" pid pids
  port_open "$port" || return 0
  pids="$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u || true)"
  [[ -n "$pids" ]] || die "port $port is in use by a process this user cannot see; set KAFKA_PORT"
  for pid in $pids; do
    if has_arg "$pid" "$MAIN_BROKER"; then
      # A node of this script (another data dir): stop its whole cluster.
      local marker cluster victims p
      marker="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -m1 '^-Dpaysaga\.kafka\.node=' || true)"
      victims="$pid"
      if [[ -n "$marker" ]]; then
        cluster="${marker#*=}"
        cluster="${cluster%/node-*}"
        for p in $(pgrep -f -- '-Dpaysaga[.]kafka[.]node=' || true); do
          if tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "-Dpaysaga.kafka.node=$cluster/node-"; then
            [[ " $victims " == *" $p "* ]] || victims+=" $p"
          fi
        done
        log "Kafka of $cluster (pid $victims) holds port $port: stopping it"
      else
        log "a Kafka broker (pid $pid) already listens on $port: stopping it"
      fi
      # shellcheck disable=SC2086
      kill -TERM $victims 2>/dev/null || true
      local deadline=$((SECONDS + STOP_TIMEOUT))
      for p in $victims; do
        while pid_alive "$p" && ((SECONDS < deadline)); do sleep 0.2; done
        if pid_alive "$p"; then kill -KILL "$p" 2>/dev/null || true; fi
        while pid_alive "$p"; do sleep 0.1; done
      done
    else
      die "port $port is in use by pid $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-80)); set KAFKA_PORT"
    fi
  done
}

# ---------------------------------------------------------------- config ---
write_log_configs() {
  # log4j2 (Kafka 4.x): broker's own loggers at $LOG_LEVEL, the rest WARN,
  # into <node>/logs/server.log (kafka.logs.dir is set per JVM).
  cat >"$DATA_DIR/log4j2-broker.properties" <<EOF
status = warn
name = paysaga-kafka-broker
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = \${sys:kafka.logs.dir}/server.log
appender.file.filePattern = \${sys:kafka.logs.dir}/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = warn
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = $LOG_LEVEL
logger.okafka.name = org.apache.kafka
logger.okafka.level = $LOG_LEVEL
logger.request.name = kafka.request.logger
logger.request.level = warn
EOF
  cat >"$DATA_DIR/log4j2-tools.properties" <<'EOF'
status = warn
name = paysaga-kafka-tools
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.err.ref = STDERR
EOF
  # log4j 1 / reload4j (Kafka 3.x) equivalents.
  cat >"$DATA_DIR/log4j-broker.properties" <<EOF
log4j.rootLogger=WARN, file
log4j.logger.kafka=$LOG_LEVEL
log4j.logger.org.apache.kafka=$LOG_LEVEL
log4j.logger.kafka.request.logger=WARN
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=\${kafka.logs.dir}/server.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=3
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
  cat >"$DATA_DIR/log4j-tools.properties" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
}

write_server_properties() { # $1 = node id
  local n="$1" dir voters="" i rf isr
  dir="$(node_dir "$n")"
  for ((i = 1; i <= BROKERS; i++)); do
    voters+="${voters:+,}$i@127.0.0.1:$(controller_port "$i")"
  done
  if ((BROKERS == 1)); then rf=1 isr=1; else rf=3 isr=2; fi
  cat >"$dir/server.properties" <<EOF
# generated by $SCRIPT_NAME start --brokers $BROKERS
process.roles=broker,controller
node.id=$n
# static quorum: format without --standalone / --initial-controllers
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(client_port "$n"),CONTROLLER://127.0.0.1:$(controller_port "$n")
advertised.listeners=PLAINTEXT://127.0.0.1:$(client_port "$n")
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=3
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
num.network.threads=2
num.io.threads=4
log.retention.hours=24
log.segment.bytes=67108864
log.retention.check.interval.ms=60000
EOF
}

# ------------------------------------------------------------------ java ---
tool_java() { # $1 = main class, rest = args
  local main="$1"
  shift
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
    -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$DATA_DIR/log4j2-tools.properties" \
    -Dlog4j.configuration="file:$DATA_DIR/log4j-tools.properties" \
    -cp "$LIBS/*" "$main" "$@"
}

# Make sure tool log configs exist even before a start (e.g. `topics` against
# a cluster of another data dir).
ensure_tool_logs() {
  [[ -f "$DATA_DIR/log4j2-tools.properties" ]] && return 0
  # A data dir this script makes is marked as its own, so a later `start` may wipe it.
  if [[ ! -d "$DATA_DIR" ]]; then
    mkdir -p "$DATA_DIR"
    : >"$MARKER_FILE"
  fi
  write_log_configs
}

format_nodes() { # formats nodes 1..BROKERS with one cluster id, in parallel
  local cid n pids=() failed=0
  cid="$(tool_java "$MAIN_STORAGE" random-uuid | tail -n 1)"
  [[ "$cid" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "StorageTool random-uuid printed '$cid'"
  echo "CLUSTER_ID=$cid" >>"$STATE_FILE"
  for ((n = 1; n <= BROKERS; n++)); do
    tool_java "$MAIN_STORAGE" format -t "$cid" -c "$(node_dir "$n")/server.properties" \
      >"$(node_dir "$n")/logs/format.log" 2>&1 &
    pids+=($!)
  done
  for ((n = 1; n <= BROKERS; n++)); do
    if ! wait "${pids[$((n - 1))]}"; then
      log "formatting node $n failed:"
      cat "$(node_dir "$n")/logs/format.log" >&2
      failed=1
    fi
  done
  ((failed == 0)) || die "storage format failed"
  log "formatted KRaft storage, cluster id $cid"
}

launch_node() { # $1 = node id
  local n="$1" dir heap
  dir="$(node_dir "$n")"
  if ((BROKERS == 1)); then heap=512m; else heap=384m; fi
  mkdir -p "$dir/logs"
  [[ -f "$dir/data/meta.properties" ]] ||
    die "node $n has no formatted storage in $dir/data; run '$SCRIPT_NAME start' first"
  # setsid: the broker outlives the caller's process group (CI steps, shells).
  nohup setsid java "$(node_marker "$n")" \
    -Xms128m -Xmx"$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dkafka.logs.dir="$dir/logs" \
    -Dlog4j2.configurationFile="$DATA_DIR/log4j2-broker.properties" \
    -Dlog4j.configuration="file:$DATA_DIR/log4j-broker.properties" \
    -cp "$LIBS/*" "$MAIN_BROKER" "$dir/server.properties" \
    >>"$dir/logs/stdout.log" 2>&1 </dev/null &
  local pid=$! i marker found
  marker="$(node_marker "$n")"
  # nohup and setsid exec in place, so $! becomes the JVM; confirm through the
  # marker (setsid forks only if it leads a process group: then search).
  for ((i = 0; i < 100; i++)); do
    if has_arg "$pid" "$marker"; then break; fi
    if ((i % 10 == 9)); then
      found="$(node_pids "$n" | head -n 1)"
      if [[ -n "$found" ]]; then pid="$found"; break; fi
    fi
    sleep 0.05
  done
  echo "$pid" >"$dir/kafka.pid"
  log "node $n started (pid $pid, 127.0.0.1:$(client_port "$n"), controller :$(controller_port "$n"))"
}

dump_logs() {
  local n f
  for n in "$@"; do
    for f in "$(node_dir "$n")/logs/server.log" "$(node_dir "$n")/logs/stdout.log"; do
      [[ -s "$f" ]] || continue
      log "---- tail of $f ----"
      tail -n 40 "$f" >&2
    done
  done
}

# Wait until every given node is alive, listens, and answers an ApiVersions
# request after a metadata call that lists it as a live broker.
wait_nodes() {
  local deadline=$((SECONDS + START_TIMEOUT)) n pending out bootstrap ok
  log "waiting up to ${START_TIMEOUT}s for node(s) $* to answer..."
  while :; do
    pending=()
    for n in "$@"; do
      if [[ -z "$(node_pids "$n")" ]]; then
        log "node $n exited during startup"
        dump_logs "$n"
        return 1
      fi
      port_open "$(client_port "$n")" || pending+=("$n")
    done
    if ((${#pending[@]} == 0)); then
      bootstrap=""
      for n in "$@"; do bootstrap+="${bootstrap:+,}127.0.0.1:$(client_port "$n")"; done
      out="$(timeout 30 java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
        -Dlog4j2.configurationFile="$DATA_DIR/log4j2-tools.properties" \
        -Dlog4j.configuration="file:$DATA_DIR/log4j-tools.properties" \
        -cp "$LIBS/*" "$MAIN_API_VERSIONS" --bootstrap-server "$bootstrap" 2>/dev/null || true)"
      ok=1
      for n in "$@"; do
        grep -qE "^127\.0\.0\.1:$(client_port "$n") \(id: $n rack: [^)]*\) -> \(" <<<"$out" || ok=0
      done
      if ((ok)); then
        log "node(s) $* up: bootstrap $(bootstrap_list)"
        return 0
      fi
    fi
    if ((SECONDS >= deadline)); then
      log "timed out after ${START_TIMEOUT}s waiting for node(s) $*"
      dump_logs "$@"
      return 1
    fi
    sleep 1
  done
}

# ------------------------------------------------------------- commands ----
cmd_fetch() {
  load_state
  KAFKA_VERSION="${KAFKA_VERSION_OVERRIDE:-$KAFKA_VERSION}"
  set_version_paths
  ensure_libs
  log "Kafka $KAFKA_VERSION jars: $LIBS"
}

safe_wipe_data_dir() {
  [[ -n "$DATA_DIR" && "$DATA_DIR" != "/" && "$DATA_DIR" != "$HOME" ]] ||
    die "refusing to wipe data dir '$DATA_DIR'"
  if [[ -d "$DATA_DIR" && ! -f "$MARKER_FILE" ]] && [[ -n "$(ls -A "$DATA_DIR")" ]]; then
    die "$DATA_DIR is not empty and was not created by $SCRIPT_NAME; refusing to wipe it"
  fi
  rm -rf "$DATA_DIR"
  mkdir -p "$DATA_DIR"
  : >"$MARKER_FILE"
}

cmd_start() {
  local brokers=1
  while (($#)); do
    case "$1" in
      --brokers) brokers="${2:-}"; shift 2 || die "--brokers needs a value" ;;
      --brokers=*) brokers="${1#*=}"; shift ;;
      *) die "start: unknown argument '$1' (expected --brokers 1|3)" ;;
    esac
  done
  [[ "$brokers" == 1 || "$brokers" == 3 ]] || die "--brokers must be 1 or 3, got '$brokers'"
  [[ "${KAFKA_PORT:-9092}" =~ ^[0-9]+$ ]] || die "KAFKA_PORT must be a number"

  # Stop whatever an earlier start of this data dir left running.
  load_state
  if [[ -d "$DATA_DIR" ]]; then
    local n
    for n in 1 2 3; do
      if [[ -n "$(node_pids "$n")" ]]; then stop_nodes "$n"; fi
    done
  fi

  BROKERS="$brokers"
  BASE_PORT="${KAFKA_PORT:-9092}"
  KAFKA_VERSION="${KAFKA_VERSION_OVERRIDE:-4.1.1}"
  set_version_paths
  ensure_libs

  local i
  for ((i = 1; i <= BROKERS; i++)); do
    free_port "$(client_port "$i")"
    free_port "$(controller_port "$i")"
  done

  safe_wipe_data_dir
  cat >"$STATE_FILE" <<EOF
BROKERS=$BROKERS
BASE_PORT=$BASE_PORT
KAFKA_VERSION=$KAFKA_VERSION
EOF
  write_log_configs
  for ((i = 1; i <= BROKERS; i++)); do
    mkdir -p "$(node_dir "$i")/data" "$(node_dir "$i")/logs"
    write_server_properties "$i"
  done
  format_nodes
  for ((i = 1; i <= BROKERS; i++)); do launch_node "$i"; done
  local all=()
  for ((i = 1; i <= BROKERS; i++)); do all+=("$i"); done
  if ! wait_nodes "${all[@]}"; then
    stop_nodes "${all[@]}"
    die "Kafka did not come up (data and logs: $DATA_DIR)"
  fi
  bootstrap_list
}

cmd_stop() {
  load_state
  if [[ ! -d "$DATA_DIR" ]]; then
    log "nothing to stop ($DATA_DIR does not exist)"
    return 0
  fi
  local n nodes=()
  for n in 1 2 3; do
    if [[ -n "$(node_pids "$n")" ]]; then nodes+=("$n"); fi
  done
  if ((${#nodes[@]} == 0)); then
    log "no broker running"
    for n in 1 2 3; do rm -f "$(node_dir "$n")/kafka.pid"; done
    return 0
  fi
  stop_nodes "${nodes[@]}"
  log "stopped"
}

cmd_stop_node() {
  load_state
  check_node_arg "${1:-}"
  if [[ -z "$(node_pids "$1")" ]]; then
    log "node $1 is not running"
    rm -f "$(node_dir "$1")/kafka.pid"
    return 0
  fi
  stop_nodes "$1"
  log "node $1 stopped"
}

cmd_start_node() {
  load_state
  [[ -f "$STATE_FILE" ]] || die "no cluster in $DATA_DIR; run '$SCRIPT_NAME start' first"
  check_node_arg "${1:-}"
  ensure_libs
  if [[ -n "$(node_pids "$1")" ]]; then
    log "node $1 is already running"
  else
    free_port "$(client_port "$1")"
    free_port "$(controller_port "$1")"
    launch_node "$1"
  fi
  if ! wait_nodes "$1"; then
    stop_nodes "$1"
    die "node $1 did not come up (logs: $(node_dir "$1")/logs)"
  fi
}

cmd_status() {
  load_state
  if [[ ! -f "$STATE_FILE" ]]; then
    log "not started (no $STATE_FILE)"
    return 1
  fi
  local n pid up=0 rc=0
  for ((n = 1; n <= BROKERS; n++)); do
    pid="$(node_pids "$n" | head -n 1)"
    if [[ -n "$pid" ]] && port_open "$(client_port "$n")"; then
      echo "node $n: up (pid $pid, 127.0.0.1:$(client_port "$n"))"
      up=$((up + 1))
    elif [[ -n "$pid" ]]; then
      echo "node $n: starting (pid $pid, port $(client_port "$n") not open)"
      rc=1
    else
      echo "node $n: down"
      rc=1
    fi
  done
  echo "kafka $KAFKA_VERSION, $up/$BROKERS node(s) up, bootstrap $(bootstrap_list), data $DATA_DIR"
  return "$rc"
}

has_bootstrap_arg() {
  local a
  for a in "$@"; do [[ "$a" == --bootstrap-server* ]] && return 0; done
  return 1
}

cmd_tool() { # $1 = topics|groups, rest = args
  local tool="$1" main i up=0
  shift
  load_state
  ensure_libs
  ensure_tool_logs
  if [[ "$tool" == topics ]]; then main="$MAIN_TOPICS"; else main="$MAIN_GROUPS"; fi
  if has_bootstrap_arg "$@"; then
    tool_java "$main" "$@"
  else
    # Fail fast instead of letting the admin client retry for a minute.
    for ((i = 1; i <= BROKERS; i++)); do
      if port_open "$(client_port "$i")"; then up=1; fi
    done
    ((up)) || die "no broker answers on $(bootstrap_list); start one with '$SCRIPT_NAME start'"
    tool_java "$main" --bootstrap-server "$(live_bootstrap_list)" "$@"
  fi
}

main() {
  # KAFKA_VERSION from the environment applies to fetch/start; later commands
  # use the version recorded by start.
  KAFKA_VERSION_OVERRIDE="${KAFKA_VERSION:-}"
  local cmd="${1:-help}"
  shift || true
  case "$cmd" in
    fetch) cmd_fetch ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop ;;
    stop-node) cmd_stop_node "$@" ;;
    start-node) cmd_start_node "$@" ;;
    status) cmd_status ;;
    topics) cmd_tool topics "$@" ;;
    groups) cmd_tool groups "$@" ;;
    bootstrap) load_state; bootstrap_list ;;
    help | -h | --help) usage ;;
    *) usage; die "unknown command '$cmd'" ;;
  esac
}

main "$@"
