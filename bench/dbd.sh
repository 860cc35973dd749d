#!/bin/bash
# Configuration benchmark: vsw (vsw-dbd, vsw-switchd and the `vsw` CLI) against Open vSwitch 3.1
# (Debian packages: ovsdb-server, ovs-vswitchd on the userspace "netdev" datapath, ovs-vsctl),
# side by side in one run, each switch in a network namespace of its own.
#
#   (a) 200 `add-port` calls, one CLI process each, waiting for the switch to apply each one
#       (the CLI waits until cur_cfg reaches its next_cfg), then 200 more with --no-wait; mean
#       ms per call and the mean of the first 20 and of the last 20 calls. A second round of
#       the same, on a database already holding 1000 ports, shows whether the cost grows; a
#       third, on an empty database again after (c), brackets it against the machine's drift.
#   (b) 1000 ports added in one transaction (one CLI invocation, 1000 `-- add-port`), waiting.
#   (c) del-br of a bridge holding 1000 ports, waiting.
#   (d) VmRSS of the database daemon (vsw-dbd, ovsdb-server) holding 1000 ports.
#
# Ports are type=internal on both switches: each one really becomes a tap device (vsw-flowd and
# ovs-vswitchd's netdev datapath both create one), so "applied" means the same work on both,
# and the devices live in the switch's own namespace, which is deleted at the end. (System
# ports naming devices that do not exist would make OVS retry opening every one of them on
# each reconfiguration, which measures its error path rather than its configuration path.)
#
# The targets (from the issue) are printed beside each figure, never enforced: (a) at least 5x
# faster than OVS, and flat as the database grows; (b), (c) at least 3x faster; (d) at most OVS's.
#
# Usage: bench/dbd.sh      (root; installs what it lacks; cleans up; takes about four minutes)
#   VSW_BINDIR   directory of the built vsw tools (default: `bazel info bazel-bin`/tools)
#   BAZEL        the bazel command to build and find vsw (default: bazel)
#   BENCH_SWITCHES  "vsw ovs" by default; one of them alone measures it only (no summary)
# Prints "<switch> <figure> <value> <unit>" lines as it goes, then a summary table.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "dbd.sh: run as root" >&2; exit 1; }
N_EACH=200 N_BULK=1000 N_EDGE=20
NSV=vdbdbench-vsw NSO=vdbdbench-ovs

# One run at a time: the namespaces have fixed names.
exec 9>/run/lock/vsw-bench-dbd.lock
flock -n 9 || { echo "dbd.sh: another run is in progress" >&2; exit 1; }

need() { command -v "$1" >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }; }
tools/install-deps
need ovs-vswitchd openvswitch-switch; need ovs-vsctl openvswitch-common; need ovsdb-server openvswitch-common

BAZEL=${BAZEL:-bazel}
if [ -z "${VSW_BINDIR:-}" ]; then
    # 9>&-: the Bazel server outlives this script and must not keep the run lock.
    $BAZEL build //tools:vsw_ctl >/dev/null 2>&1 9>&- || { echo "build failed" >&2; exit 1; }
    VSW_BINDIR=$($BAZEL info bazel-bin 2>/dev/null 9>&-)/tools
fi
export VSW_BINDIR

# Stops everything started in namespace $1 (by pid), then deletes it with its devices.
ns_destroy() {
    local ns=$1 pids
    ip netns list | grep -qw "^$ns" || return 0
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [ -n "$pids" ] && kill $pids 2>/dev/null && sleep 1 || true
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
}

W=
cleanup() {
    set +e
    if [ -n "$W" ]; then
        "$VSW_BINDIR/vsw_ctl" stop --rundir "$W/vsw" >/dev/null 2>&1
        for f in "$W"/ovs-vswitchd.pid "$W"/ovsdb-server.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
        sleep 0.5
    fi
    ns_destroy $NSV; ns_destroy $NSO
    [ -n "$W" ] && rm -rf "$W"
}
# Leftovers of an interrupted run (its directory is gone with its processes' namespace).
ns_destroy $NSV; ns_destroy $NSO
W=$(mktemp -d /tmp/vsw-bench-dbd.XXXXXX)
chmod 755 "$W"   # the vsw user must reach its run directory inside
trap cleanup EXIT
ip netns add $NSV; ip netns add $NSO

# --- the two switches, each in its namespace; the CLIs run outside (Unix sockets) ---
mkdir -p "$W/vsw"
ip netns exec $NSV "$VSW_BINDIR/vsw_ctl" start --rundir "$W/vsw" >/dev/null
VSW=("$VSW_BINDIR/vsw" --rundir "$W/vsw" --timeout 120)
"${VSW[@]}" --no-wait init

export OVS_RUNDIR=$W OVS_DBDIR=$W OVS_LOGDIR=$W OVS_SYSCONFDIR=$W
ovsdb-tool create "$W/conf.db" /usr/share/openvswitch/vswitch.ovsschema
ip netns exec $NSO ovsdb-server "$W/conf.db" --remote=punix:"$W/db.sock" --unixctl="$W/ovsdb-server.ctl" \
    --pidfile="$W/ovsdb-server.pid" --detach --log-file="$W/ovsdb-server.log" 2>/dev/null
OVS=(ovs-vsctl --db=unix:"$W/db.sock" --timeout=120)
"${OVS[@]}" --no-wait init
ip netns exec $NSO ovs-vswitchd unix:"$W/db.sock" --unixctl="$W/ovs-vswitchd.ctl" \
    --pidfile="$W/ovs-vswitchd.pid" --detach --log-file="$W/ovs-vswitchd.log" 2>/dev/null

declare -A CLI=([vsw]="VSW" [ovs]="OVS") NS=([vsw]=$NSV [ovs]=$NSO) FIG
SWITCHES=${BENCH_SWITCHES:-"vsw ovs"}
cli() {  # $1 = switch; the rest: the CLI's arguments
    local -n argv=${CLI[$1]}; shift
    "${argv[@]}" "$@"
}
dbd_pid() { [ "$1" = vsw ] && cat "$W/vsw/dbd.pid" || cat "$W/ovsdb-server.pid"; }
switch_pids() { [ "$1" = vsw ] && cat "$W/vsw/switchd.pid" "$W/vsw/flowd.pid" || cat "$W/ovs-vswitchd.pid"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
n_devices() { ip -n "${NS[$1]}" -o link | wc -l; }
# Timestamps are read in this shell: a $(...) around them would fork a subshell inside the
# measured interval, adding a fork and an exit to every figure.
now_us() { NOW=${EPOCHREALTIME/./}; }
ms_since() { now_us; ELAPSED=$(( (NOW - $1) / 1000 )); }

# Waits until the switch has applied everything committed so far: a waiting no-op change.
SYNC=0
sync_switch() { SYNC=$((SYNC + 1)); cli "$1" set Open_vSwitch . external_ids:bench-sync=$SYNC; }

# $1 switch, $2 figure, $3 bridge, $4 port prefix, the rest: global options (--no-wait).
# One CLI process per port; each call's time in ms goes to $W/$1.$2.
add_ports_each() {
    local sw=$1 fig=$2 br=$3 prefix=$4 i t0 t1 p; shift 4
    : >"$W/$sw.$fig"
    for i in $(seq 1 $N_EACH); do
        p=$prefix$i
        now_us; t0=$NOW
        cli "$sw" "$@" add-port "$br" "$p" -- set Interface "$p" type=internal
        now_us; t1=$NOW
        echo "$(( t1 - t0 ))" >>"$W/$sw.$fig"
    done
    # mean, first N_EDGE, last N_EDGE, in ms
    read -r FIG[$sw.$fig] FIG[$sw.$fig.first] FIG[$sw.$fig.last] < <(awk -v e=$N_EDGE '
        { v[NR] = $1; s += $1 } END {
            for (i = 1; i <= e; i++) { f += v[i]; l += v[NR - e + i] }
            printf "%.2f %.2f %.2f\n", s / NR / 1000, f / e / 1000, l / e / 1000 }' "$W/$sw.$fig")
    echo "$sw $fig ${FIG[$sw.$fig]} ms/call (first $N_EDGE: ${FIG[$sw.$fig.first]}, last $N_EDGE: ${FIG[$sw.$fig.last]})"
}

# Both rounds of (a) for one switch on bridge $2; $3 names the round.
round() {
    local sw=$1 br=$2 r=$3 t0
    # Creating or deleting 1000 devices leaves the kernel working for a while after the CLI
    # returned (vsw's del-br of 1000 ports returns in 0.15 s, and a round started right after
    # it measured 2.72 ms a call against 2.0): each round waits up to 5 s for a quiet machine.
    wait_quiet 5
    add_ports_each "$sw" "add_port_wait_$r" "$br" "${r}w"
    add_ports_each "$sw" "add_port_nowait_$r" "$br" "${r}n" --no-wait
    now_us; t0=$NOW; sync_switch "$sw"; ms_since "$t0"
    echo "$sw catch_up_after_nowait_$r $ELAPSED ms (the switch applying the backlog)"
}

bulk_args() {  # $1 command (add-port/del-port), $2 bridge, $3 prefix, $4 count, $5 extra per port
    local i out=()
    for i in $(seq 1 "$4"); do
        out+=(-- "$1" "$2" "$3$i")
        [ -n "${5:-}" ] && out+=(-- set Interface "$3$i" "$5")
    done
    BULK=("${out[@]:1}")
}

run_switch() {
    local sw=$1 t0
    echo "== $sw =="
    FIG[$sw.rss_dbd_empty]=$(rss_kib "$(dbd_pid "$sw")")
    cli "$sw" add-br br0 -- set Bridge br0 datapath_type=netdev
    # (a), first round: a database holding only br0
    round "$sw" br0 r1
    now_us; t0=$NOW; cli "$sw" del-br br0; ms_since "$t0"
    echo "$sw del_br_with_$((2 * N_EACH))_ports $ELAPSED ms"

    # (b) 1000 ports in one transaction, waiting for the switch
    cli "$sw" add-br br1 -- set Bridge br1 datapath_type=netdev
    bulk_args add-port br1 b $N_BULK type=internal
    now_us; t0=$NOW; cli "$sw" "${BULK[@]}"; ms_since "$t0"; FIG[$sw.bulk_add]=$ELAPSED
    echo "$sw add_${N_BULK}_ports_one_txn ${FIG[$sw.bulk_add]} ms"
    echo "$sw devices_in_namespace $(n_devices "$sw") (ports became devices)"

    # (d) RSS holding 1000 ports
    FIG[$sw.rss_dbd]=$(rss_kib "$(dbd_pid "$sw")")
    local p sw_rss=0
    for p in $(switch_pids "$sw"); do sw_rss=$(( sw_rss + $(rss_kib "$p") )); done
    FIG[$sw.rss_switch]=$sw_rss
    echo "$sw rss_db_daemon ${FIG[$sw.rss_dbd]} KiB with $N_BULK ports (${FIG[$sw.rss_dbd_empty]} KiB empty)"
    echo "$sw rss_switch_daemons $sw_rss KiB with $N_BULK ports"

    # (a), second round: on the bridge holding 1000 ports; then back to exactly 1000
    round "$sw" br1 r2
    bulk_args del-port br1 r2w $N_EACH; cli "$sw" "${BULK[@]}"
    bulk_args del-port br1 r2n $N_EACH; cli "$sw" "${BULK[@]}"

    # (c) delete the bridge holding 1000 ports, waiting for the switch
    now_us; t0=$NOW; cli "$sw" del-br br1; ms_since "$t0"; FIG[$sw.del_br]=$ELAPSED
    echo "$sw del_br_with_${N_BULK}_ports ${FIG[$sw.del_br]} ms"
    echo "$sw devices_in_namespace $(n_devices "$sw") after del-br"

    # (a), third round: an empty database again. The machine's speed drifts by 10-20% within
    # a minute; the empty-database rounds before and after the 1000-port one bracket it, so
    # that growth compares it with their mean instead of with whichever came first.
    cli "$sw" add-br br2 -- set Bridge br2 datapath_type=netdev
    round "$sw" br2 r3
    cli "$sw" del-br br2
}

# Waits (up to 30 s) for a second in which the machine's CPUs are at least 95% idle, so that
# neither switch is measured while something else still works (the Bazel server, right after
# the build above, goes on with its own tasks for a while).
cpu_ticks() {  # BUSY and TOTAL: the CPUs' ticks so far, from /proc/stat
    local cpu user nice sys idle rest
    read -r cpu user nice sys idle rest </proc/stat
    BUSY=$((user + nice + sys)) TOTAL=$((user + nice + sys + idle))
}
wait_quiet() {  # $1: seconds to wait at most (30, with a warning when it runs out)
    local limit=${1:-30} i busy0 total0
    for i in $(seq 1 "$limit"); do
        cpu_ticks; busy0=$BUSY total0=$TOTAL
        sleep 1
        cpu_ticks
        (( (BUSY - busy0) * 20 <= TOTAL - total0 )) && return 0
    done
    [ "$limit" -lt 30 ] ||
        echo "dbd.sh: warning: the machine did not become quiet; measuring anyway" >&2
}

for sw in $SWITCHES; do wait_quiet; run_switch "$sw"; done

# --- summary ---
if [[ " $SWITCHES " != *" vsw "* || " $SWITCHES " != *" ovs "* ]]; then
    echo "no summary: it compares vsw with ovs, and only \"$SWITCHES\" was measured"
    exit 0
fi
r2() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
verdict() { if ge "$1" "$2"; then echo met; else echo MISSED; fi; }
row() {  # figure, vsw, ovs, unit, ratio, target, verdict
    printf '%-38s %10s %10s %-4s %8s   %-22s %s\n' "$@"
}
speed() {  # a time figure: ratio = OVS / vsw (how many times faster vsw is)
    local key=$1 label=$2 unit=$3 target=$4 v o x
    v=${FIG[vsw.$key]} o=${FIG[ovs.$key]} x=$(r2 "$o" "$v")
    row "$label" "$v" "$o" "$unit" "$x" "OVS/vsw >= $target" "$(verdict "$x" "$target")"
}
echo
echo "Summary (times in ms, lower is better; ratio = OVS/vsw for times, vsw/OVS for memory)"
echo "ports: type=internal (each a tap device, created by both switches)"
row figure vsw ovs unit ratio target verdict
for r in r1 r2 r3; do
    case $r in r1) db="empty db" ;; r2) db="db with $N_BULK" ;; r3) db="empty db, again" ;; esac
    speed add_port_wait_$r "add-port, waiting ($db)" ms 5
    speed add_port_nowait_$r "add-port, --no-wait ($db)" ms 5
done
flat() {  # $1 label, $2 later key, $3 earlier key: ratio later/earlier for each switch
    local v o
    v=$(r2 "${FIG[vsw.$2]}" "${FIG[vsw.$3]}") o=$(r2 "${FIG[ovs.$2]}" "${FIG[ovs.$3]}")
    row "$1" "$v" "$o" "x" "" "vsw <= 1.20 (flat)" "$(ge 1.2 "$v" && echo met || echo MISSED)"
}
for sw in $SWITCHES; do  # the empty-database mean that brackets the 1000-port round
    for m in wait nowait; do
        FIG[$sw.add_port_${m}_empty]=$(awk -v a="${FIG[$sw.add_port_${m}_r1]}" \
            -v b="${FIG[$sw.add_port_${m}_r3]}" 'BEGIN { printf "%.2f", (a + b) / 2 }')
    done
done
for m in wait nowait; do
    flat "growth $m: last20/first20 (r1)" add_port_${m}_r1.last add_port_${m}_r1.first
    flat "growth $m: last20/first20 (r2)" add_port_${m}_r2.last add_port_${m}_r2.first
    flat "growth $m: r2 / mean(r1, r3)" add_port_${m}_r2 add_port_${m}_empty
done
speed bulk_add "$N_BULK ports in one transaction" ms 3
speed del_br "del-br with $N_BULK ports" ms 3
x=$(r2 "${FIG[vsw.rss_dbd]}" "${FIG[ovs.rss_dbd]}")
row "db daemon RSS, $N_BULK ports" "${FIG[vsw.rss_dbd]}" "${FIG[ovs.rss_dbd]}" KiB "$x" "vsw/OVS <= 1" "$(ge 1 "$x" && echo met || echo MISSED)"
x=$(r2 "${FIG[vsw.rss_switch]}" "${FIG[ovs.rss_switch]}")
row "switch daemons RSS, $N_BULK ports" "${FIG[vsw.rss_switch]}" "${FIG[ovs.rss_switch]}" KiB "$x" "(no target)" ""
