#!/usr/bin/env bash
#  deploy/stack.sh - a private PostgreSQL, Redis and RabbitMQ for one checkout
#
#  Usage: deploy/stack.sh {start|stop|status|env} [postgres|redis|rabbitmq ...]
#
#  Starts the three servers WalletFlow talks to on 127.0.0.1 only, on non-default ports, with all
#  their files under one folder ($WF_VAR_DIR, default <repo>/var/dev), so they never collide with
#  system instances or with another stack (deploy/test.sh runs its own under var/test).
#  Nothing here uses systemd or /etc: ENVIRONMENT.md ("Servers started by our own scripts")
#  explains each flag.
#
#    start   start the named services (all by default) and wait until each answers; a service
#            that is already running is left alone but still checked. Fails (exit 1) with the
#            tail of the service's log if one does not come up.
#    stop    stop the named services (all by default); stopping a stopped service is fine.
#            Only processes recorded in this stack's pid files, and whose command line shows
#            they belong to this stack, are ever signalled.
#    status  print up/down per service; exit 3 if any named service is down.
#    env     print `export` lines for the URLs, ports and var dir (eval "$(deploy/stack.sh env)").
#
#  Environment: WF_VAR_DIR, WF_PG_PORT (55432), WF_REDIS_PORT (56379), WF_AMQP_PORT (55672),
#  WF_EPMD_PORT (54369), WF_AMQP_DIST_PORT (55673).
#
#  Layout of the var dir:
#    pg/                 PostgreSQL data folder (owned by `postgres` when run as root)
#    run/                PostgreSQL socket, pid files of Redis and RabbitMQ
#    redis/              Redis working dir (nothing is persisted: --save '' --appendonly no)
#    rabbitmq/           RabbitMQ home (Erlang cookie), mnesia, config files
#    log/                postgres.log, redis.log, rabbitmq.log (stdout) and rabbitmq/ (node logs)
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_DIR

VAR_DIR="${WF_VAR_DIR:-$REPO_DIR/var/dev}"
case "$VAR_DIR" in
    /*) ;;
    *) VAR_DIR="$PWD/$VAR_DIR" ;;
esac
VAR_DIR="${VAR_DIR%/}"
readonly VAR_DIR

readonly PG_PORT="${WF_PG_PORT:-55432}"
readonly REDIS_PORT="${WF_REDIS_PORT:-56379}"
readonly AMQP_PORT="${WF_AMQP_PORT:-55672}"
readonly EPMD_PORT="${WF_EPMD_PORT:-54369}"
readonly AMQP_DIST_PORT="${WF_AMQP_DIST_PORT:-55673}"

readonly PG_BIN="/usr/lib/postgresql/15/bin"
readonly RABBITMQ_BIN="/usr/lib/rabbitmq/bin"
readonly PG_DATA="$VAR_DIR/pg"
readonly RUN_DIR="$VAR_DIR/run"
readonly LOG_DIR="$VAR_DIR/log"
readonly PG_LOG="$LOG_DIR/postgres.log"
readonly REDIS_DIR="$VAR_DIR/redis"
readonly REDIS_PID="$RUN_DIR/redis.pid"
readonly REDIS_LOG="$LOG_DIR/redis.log"
readonly RMQ_DIR="$VAR_DIR/rabbitmq"
readonly RMQ_PID="$RUN_DIR/rabbitmq.pid"
readonly RMQ_WRAPPER_PID="$RUN_DIR/rabbitmq-server.pid"
readonly RMQ_LOG="$LOG_DIR/rabbitmq.log"
readonly RMQ_LOG_DIR="$LOG_DIR/rabbitmq"
readonly RMQ_NODENAME="wf${AMQP_PORT}@localhost"
readonly DB_NAME="walletflow"

readonly PG_READY_TIMEOUT_S=30
readonly REDIS_READY_TIMEOUT_S=10
readonly RMQ_READY_TIMEOUT_S=60
readonly STOP_TIMEOUT_S=30
readonly ALL_SERVICES=(postgres redis rabbitmq)

s_log () {
    printf 'stack: %s\n' "$*" >&2
}

s_die () {
    printf 'stack: error: %s\n' "$*" >&2
    exit 1
}

# Prints the last lines of a log so a failure explains itself.
s_show_log () {
    local file="$1"
    if [[ -r "$file" ]]; then
        printf -- '---- last lines of %s ----\n' "$file" >&2
        tail -n 40 "$file" >&2 || true
        printf -- '----\n' >&2
    fi
}

s_is_port () {
    [[ "$1" =~ ^[0-9]+$ ]] && (( $1 > 0 && $1 < 65536 ))
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
s_port_open () {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# Refuses to start a service whose port is already taken by somebody else.
s_require_port_free () {
    local port="$1" what="$2"
    if s_port_open "$port"; then
        s_die "$what: port $port on 127.0.0.1 is already in use by a process that is not this" \
              "stack's (see: ss -ltnp 'sport = :$port'); choose another port with WF_*_PORT"
    fi
}

# Prints the command line of PID with spaces, or nothing if the process is gone.
s_cmdline () {
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true
}

# True while PID runs. A zombie counts as gone: here PID 1 does not always reap orphans, and
# `kill -0` succeeds on a zombie.
s_alive () {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ -n "$stat" && "${stat:0:1}" != Z && "${stat:0:1}" != X ]]
}

# Prints the PID stored in FILE if that process is alive, its command line contains PATTERN and,
# when given, its environment contains ENV_PATTERN, which tie it to this stack; fails otherwise.
# This is what keeps `stop` from signalling a process that merely reused an old PID.
s_live_pid () {
    local file="$1" pattern="$2" env_pattern="${3:-}" pid
    [[ -r "$file" ]] || return 1
    pid="$(tr -dc '0-9' <"$file")"
    [[ -n "$pid" ]] || return 1
    s_alive "$pid" || return 1
    [[ "$(s_cmdline "$pid")" == *"$pattern"* ]] || return 1
    if [[ -n "$env_pattern" ]]; then
        tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF -- "$env_pattern" || return 1
    fi
    printf '%s\n' "$pid"
}

# Sends TERM to PID, waits for it to exit, then KILL as a last resort.
s_terminate () {
    local pid="$1" what="$2" deadline=$((SECONDS + STOP_TIMEOUT_S))
    kill -TERM "$pid" 2>/dev/null || return 0
    while s_alive "$pid"; do
        if (( SECONDS >= deadline )); then
            s_log "$what: pid $pid ignored TERM for ${STOP_TIMEOUT_S}s, sending KILL"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done
}

# Closes every descriptor above stderr in this (sub)shell. Servers started from here must not
# inherit our callers' descriptors: a daemon holding a lock file, or a test runner's pipe, would
# keep it open for its whole life.
s_close_fds () {
    local fd
    for fd in /proc/"$BASHPID"/fd/*; do
        fd="${fd##*/}"
        if (( fd > 2 )); then
            eval "exec $fd>&-"
        fi
    done
}

# Runs a command in a subshell that holds no descriptors but stdin, stdout and stderr.
s_detached () {
    (s_close_fds && "$@")
}

# Runs a command as the owner of the PostgreSQL files: `postgres` when we are root, since the
# server refuses to run as root, else ourselves.
s_as_pg () {
    if (( EUID == 0 )); then
        (cd / && s_close_fds && runuser -u postgres -- "$@")
    else
        (cd / && s_close_fds && "$@")
    fi
}

# Makes every folder above DIR traversable by the postgres user, which needs to reach its data
# and socket folders; only folders it cannot already enter are changed (o+x), and each is named.
s_pg_make_reachable () {
    local dir="$1" path="" part
    (( EUID == 0 )) || return 0
    s_as_pg test -x "$dir" && return 0
    IFS='/' read -r -a parts <<<"${dir#/}"
    for part in "${parts[@]}"; do
        path="$path/$part"
        if ! s_as_pg test -x "$path"; then
            s_log "postgres: making $path traversable (chmod o+x) so the postgres user can reach $dir"
            chmod o+x "$path"
        fi
    done
}

s_pg_prepare () {
    mkdir -p "$VAR_DIR" "$LOG_DIR" "$PG_DATA" "$RUN_DIR"
    touch "$PG_LOG"
    if (( EUID == 0 )); then
        id postgres >/dev/null 2>&1 || s_die "postgres: no 'postgres' user (run deploy/deps.sh)"
        chown postgres:postgres "$PG_DATA" "$RUN_DIR" "$PG_LOG"
    fi
    chmod 700 "$PG_DATA"
    chmod 755 "$VAR_DIR" "$LOG_DIR" "$RUN_DIR"
    s_pg_make_reachable "$PG_DATA"
}

s_pg_running () {
    [[ -f "$PG_DATA/postmaster.pid" ]] && s_as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

s_pg_ready () {
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -t 2
}

s_pg_psql () {
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"
}

s_pg_start () {
    local deadline
    [[ -x "$PG_BIN/pg_ctl" ]] || s_die "postgres: $PG_BIN not found (run deploy/deps.sh)"
    s_pg_prepare
    if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
        s_log "postgres: initdb $PG_DATA"
        if ! s_as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 \
                --locale=C.UTF-8 >>"$PG_LOG" 2>&1; then
            s_show_log "$PG_LOG"
            s_die "postgres: initdb failed"
        fi
    fi
    if s_pg_running; then
        s_log "postgres: already running"
    else
        s_require_port_free "$PG_PORT" postgres
        # fsync stays on: durability is part of what the tests check.
        if ! s_as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$PG_READY_TIMEOUT_S" \
                -o "-p $PG_PORT -k '$RUN_DIR' -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200 -c shared_buffers=128MB" \
                start >/dev/null; then
            s_show_log "$PG_LOG"
            s_die "postgres: did not start"
        fi
    fi
    deadline=$((SECONDS + PG_READY_TIMEOUT_S))
    until s_pg_ready; do
        if (( SECONDS >= deadline )); then
            s_show_log "$PG_LOG"
            s_die "postgres: not ready on 127.0.0.1:$PG_PORT after ${PG_READY_TIMEOUT_S}s" \
                  "(a server from this data folder running on another port? deploy/stack.sh stop postgres)"
        fi
        sleep 0.1
    done
    if [[ "$(s_pg_psql -d postgres -tAc "select 1 from pg_database where datname = '$DB_NAME'")" != 1 ]]; then
        s_pg_psql -d postgres -c "create database $DB_NAME" >/dev/null
        s_log "postgres: created database $DB_NAME"
    fi
    s_log "postgres: up on 127.0.0.1:$PG_PORT (log $PG_LOG)"
}

s_pg_stop () {
    if [[ -f "$PG_DATA/PG_VERSION" ]] && s_pg_running; then
        if ! s_as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t "$STOP_TIMEOUT_S" stop >/dev/null; then
            s_show_log "$PG_LOG"
            s_die "postgres: pg_ctl stop failed"
        fi
        s_log "postgres: stopped"
    else
        s_log "postgres: not running"
    fi
}

s_pg_status () {
    local pid=""
    if s_pg_running && s_pg_ready; then
        pid="$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)"
        printf '%-9s up    pid %-7s 127.0.0.1:%s  %s\n' postgres "$pid" "$PG_PORT" "$PG_DATA"
        return 0
    fi
    printf '%-9s down  %-11s 127.0.0.1:%s  %s\n' postgres "" "$PG_PORT" "$PG_DATA"
    return 1
}

s_redis_pid () {
    s_live_pid "$REDIS_PID" "redis-server 127.0.0.1:$REDIS_PORT"
}

s_redis_ready () {
    [[ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

s_redis_start () {
    local deadline
    command -v redis-server >/dev/null || s_die "redis: redis-server not found (run deploy/deps.sh)"
    mkdir -p "$REDIS_DIR" "$RUN_DIR" "$LOG_DIR"
    if s_redis_pid >/dev/null; then
        s_log "redis: already running"
    else
        s_require_port_free "$REDIS_PORT" redis
        if ! s_detached redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" \
                --daemonize yes --pidfile "$REDIS_PID" --logfile "$REDIS_LOG" \
                --save '' --appendonly no; then
            s_show_log "$REDIS_LOG"
            s_die "redis: did not start"
        fi
    fi
    deadline=$((SECONDS + REDIS_READY_TIMEOUT_S))
    until s_redis_ready; do
        if (( SECONDS >= deadline )); then
            s_show_log "$REDIS_LOG"
            s_die "redis: no PONG from 127.0.0.1:$REDIS_PORT after ${REDIS_READY_TIMEOUT_S}s"
        fi
        sleep 0.05
    done
    s_log "redis: up on 127.0.0.1:$REDIS_PORT (log $REDIS_LOG)"
}

s_redis_stop () {
    local pid
    if pid="$(s_redis_pid)"; then
        s_terminate "$pid" redis
        rm -f "$REDIS_PID"
        s_log "redis: stopped"
    else
        s_log "redis: not running"
    fi
}

s_redis_status () {
    local pid
    if pid="$(s_redis_pid)" && s_redis_ready; then
        printf '%-9s up    pid %-7s 127.0.0.1:%s  %s\n' redis "$pid" "$REDIS_PORT" "$REDIS_DIR"
        return 0
    fi
    printf '%-9s down  %-11s 127.0.0.1:%s  %s\n' redis "" "$REDIS_PORT" "$REDIS_DIR"
    return 1
}

# The environment every RabbitMQ program needs to find this node (and only it): without it,
# rabbitmqctl would look for epmd on 4369 and start a stray one there.
readonly RMQ_ENV=(
    HOME="$RMQ_DIR/home"
    RABBITMQ_NODENAME="$RMQ_NODENAME"
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    RABBITMQ_NODE_PORT="$AMQP_PORT"
    RABBITMQ_DIST_PORT="$AMQP_DIST_PORT"
    ERL_EPMD_PORT="$EPMD_PORT"
    ERL_EPMD_ADDRESS=127.0.0.1
    RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia"
    RABBITMQ_LOG_BASE="$RMQ_LOG_DIR"
    RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf"
    RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_DIR/advanced.config"
    RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf"
    RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins"
    RABBITMQ_PID_FILE="$RMQ_PID"
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
    RABBITMQ_CTL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
)

# rabbitmqctl for this node, bounded in time like every other wait here.
s_rmq_ctl () {
    s_detached timeout "$STOP_TIMEOUT_S" env "${RMQ_ENV[@]}" "$RABBITMQ_BIN/rabbitmqctl" "$@"
}

# The beam process is recognised by its home folder (-home), which is unique to this stack.
s_rmq_pid () {
    s_live_pid "$RMQ_PID" "-home $RMQ_DIR/home " "HOME=$RMQ_DIR/home"
}

# The rabbitmq-server shell script that runs beam; it stops beam when it gets TERM.
s_rmq_wrapper_pid () {
    s_live_pid "$RMQ_WRAPPER_PID" "rabbitmq-server" "HOME=$RMQ_DIR/home"
}

s_rmq_prepare () {
    mkdir -p "$RMQ_DIR/home" "$RMQ_DIR/mnesia" "$RMQ_LOG_DIR" "$RUN_DIR" "$LOG_DIR"
    chmod 700 "$RMQ_DIR/home"
    # The address belongs in the listener: a bare port here would override
    # RABBITMQ_NODE_IP_ADDRESS and listen on every interface.
    printf 'loopback_users = none\nlisteners.tcp.default = 127.0.0.1:%s\n' "$AMQP_PORT" \
        >"$RMQ_DIR/rabbitmq.conf"
    printf '[].\n' >"$RMQ_DIR/enabled_plugins"
    # An empty env file of our own, so /etc/rabbitmq/rabbitmq-env.conf cannot change the node.
    : >"$RMQ_DIR/rabbitmq-env.conf"
}

s_rmq_start () {
    local deadline wrapper
    [[ -x "$RABBITMQ_BIN/rabbitmq-server" ]] || s_die "rabbitmq: $RABBITMQ_BIN not found (run deploy/deps.sh)"
    s_rmq_prepare
    if s_rmq_pid >/dev/null; then
        s_log "rabbitmq: already running"
    else
        if wrapper="$(s_rmq_wrapper_pid)"; then
            s_log "rabbitmq: a previous start (pid $wrapper) is still booting; waiting for it"
        else
            s_require_port_free "$AMQP_PORT" rabbitmq
            s_require_port_free "$AMQP_DIST_PORT" "rabbitmq (distribution)"
            rm -f "$RMQ_PID"
            # setsid: its own session, so a Ctrl-C meant for deploy/run.sh does not reach it.
            (
                cd "$RMQ_DIR"
                exec </dev/null >>"$RMQ_LOG" 2>&1
                s_close_fds
                exec env "${RMQ_ENV[@]}" setsid "$RABBITMQ_BIN/rabbitmq-server"
            ) &
            wrapper=$!
            printf '%s\n' "$wrapper" >"$RMQ_WRAPPER_PID"
        fi
    fi
    deadline=$((SECONDS + RMQ_READY_TIMEOUT_S))
    until s_rmq_ctl -q await_startup --timeout 5 >/dev/null 2>&1; do
        if ! s_rmq_pid >/dev/null && ! s_rmq_wrapper_pid >/dev/null; then
            s_show_log "$RMQ_LOG"
            s_show_log "$RMQ_LOG_DIR/$RMQ_NODENAME.log"
            s_die "rabbitmq: the node exited during startup"
        fi
        if (( SECONDS >= deadline )); then
            s_show_log "$RMQ_LOG"
            s_show_log "$RMQ_LOG_DIR/$RMQ_NODENAME.log"
            s_die "rabbitmq: not ready after ${RMQ_READY_TIMEOUT_S}s (deploy/stack.sh stop rabbitmq)"
        fi
        sleep 0.5
    done
    s_log "rabbitmq: up on 127.0.0.1:$AMQP_PORT (log $RMQ_LOG_DIR/$RMQ_NODENAME.log)"
}

s_rmq_stop () {
    local pid wrapper stopped=0
    if pid="$(s_rmq_pid)"; then
        s_rmq_ctl -q stop "$RMQ_PID" >/dev/null 2>&1 || true
        if s_alive "$pid"; then
            s_terminate "$pid" rabbitmq
        fi
        stopped=1
    fi
    if wrapper="$(s_rmq_wrapper_pid)"; then
        s_terminate "$wrapper" rabbitmq-server
        stopped=1
    fi
    rm -f "$RMQ_PID" "$RMQ_WRAPPER_PID"
    # beam leaves its epmd behind. epmd refuses -kill while any node is still registered with
    # it, so this cannot take down an epmd that someone else is using on this port.
    if s_port_open "$EPMD_PORT"; then
        s_detached env ERL_EPMD_PORT="$EPMD_PORT" epmd -kill >/dev/null 2>&1 || true
    fi
    if (( stopped )); then
        s_log "rabbitmq: stopped"
    else
        s_log "rabbitmq: not running"
    fi
}

s_rmq_status () {
    local pid
    if pid="$(s_rmq_pid)" && s_port_open "$AMQP_PORT"; then
        printf '%-9s up    pid %-7s 127.0.0.1:%s  %s\n' rabbitmq "$pid" "$AMQP_PORT" "$RMQ_DIR"
        return 0
    fi
    printf '%-9s down  %-11s 127.0.0.1:%s  %s\n' rabbitmq "" "$AMQP_PORT" "$RMQ_DIR"
    return 1
}

s_print_env () {
    printf 'export WF_VAR_DIR=%q\n' "$VAR_DIR"
    printf 'export WF_PG_PORT=%s\n' "$PG_PORT"
    printf 'export WF_REDIS_PORT=%s\n' "$REDIS_PORT"
    printf 'export WF_AMQP_PORT=%s\n' "$AMQP_PORT"
    printf 'export WF_EPMD_PORT=%s\n' "$EPMD_PORT"
    printf 'export WF_AMQP_DIST_PORT=%s\n' "$AMQP_DIST_PORT"
    printf 'export WF_PG_URL=postgresql://postgres@127.0.0.1:%s/%s\n' "$PG_PORT" "$DB_NAME"
    printf 'export WF_REDIS_URL=redis://127.0.0.1:%s\n' "$REDIS_PORT"
    printf 'export WF_AMQP_URL=amqp://guest:guest@127.0.0.1:%s/%%2f\n' "$AMQP_PORT"
}

s_usage () {
    printf 'usage: %s {start|stop|status|env} [postgres|redis|rabbitmq ...]\n' "$0" >&2
    exit 2
}

# Serialises start and stop of one stack, so two callers cannot race on the same pid files.
# Servers are launched through s_close_fds, so none of them inherits the lock.
s_lock () {
    mkdir -p "$VAR_DIR"
    exec 9>"$VAR_DIR/.stack-lock"
    if ! flock -n 9; then
        s_log "waiting for another deploy/stack.sh on $VAR_DIR"
        flock -w 300 9 || s_die "could not lock $VAR_DIR/.stack-lock within 300 s"
    fi
}

main () {
    local action="${1:-}" port service rc=0
    [[ -n "$action" ]] || s_usage
    shift
    for port in "$PG_PORT" "$REDIS_PORT" "$AMQP_PORT" "$EPMD_PORT" "$AMQP_DIST_PORT"; do
        s_is_port "$port" || s_die "not a port number: '$port'"
    done
    local services=()
    for service in "$@"; do
        case "$service" in
            postgres | postgresql | pg) services+=(postgres) ;;
            redis) services+=(redis) ;;
            rabbitmq | rabbit | amqp) services+=(rabbitmq) ;;
            *) s_die "unknown service '$service' (postgres, redis, rabbitmq)" ;;
        esac
    done
    (( ${#services[@]} )) || services=("${ALL_SERVICES[@]}")

    case "$action" in
        start)
            s_lock
            for service in "${ALL_SERVICES[@]}"; do
                [[ " ${services[*]} " == *" $service "* ]] || continue
                case "$service" in
                    postgres) s_pg_start ;;
                    redis) s_redis_start ;;
                    rabbitmq) s_rmq_start ;;
                esac
            done
            ;;
        stop)
            s_lock
            for service in rabbitmq redis postgres; do
                [[ " ${services[*]} " == *" $service "* ]] || continue
                case "$service" in
                    postgres) s_pg_stop ;;
                    redis) s_redis_stop ;;
                    rabbitmq) s_rmq_stop ;;
                esac
            done
            ;;
        status)
            for service in "${ALL_SERVICES[@]}"; do
                [[ " ${services[*]} " == *" $service "* ]] || continue
                case "$service" in
                    postgres) s_pg_status || rc=3 ;;
                    redis) s_redis_status || rc=3 ;;
                    rabbitmq) s_rmq_status || rc=3 ;;
                esac
            done
            return "$rc"
            ;;
        env) s_print_env ;;
        *) s_usage ;;
    esac
}

# One line, read whole before it runs: editing this file cannot derail a running copy.
main "$@"; exit
