#!/bin/bash
# Data-plane benchmark: vsw (userspace datapath in vsw-flowd), the Linux bridge and Open vSwitch
# 3.1 (Debian packages, userspace "netdev" datapath), one after the other on the same topology:
# two namespaces, each with one end of a veth pair whose other end is a port of the switch under
# test. For each switch: average ping RTT, TCP throughput (iperf3), and 64-byte UDP frames
# forwarded per second (trafgen flooding at full speed from one namespace, counted as received
# in the other). Then the ratios vsw/OVS and vsw/linux-bridge.
#
# Offloads: vsw and the Linux bridge run with the veths' defaults (checksum and TSO on). OVS's
# netdev datapath cannot take partial checksums from a veth, so for OVS only, transmit
# checksumming is turned off in the namespaces (as ../shared/bench/peer-switches.sh does).
#
# Usage: bench/dataplane.sh [seconds-per-run]      (root; installs what it lacks; cleans up)
#   VSW_BINDIR   directory of the built vsw tools (default: `bazel info bazel-bin`/tools)
#   BAZEL        the bazel command to build and find vsw (default: bazel)
# Prints "<switch> <figure> <value> <unit>" lines, then the ratios.
set -euo pipefail
T=${1:-5}
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "dataplane.sh: run as root" >&2; exit 1; }
W=$(mktemp -d /tmp/vsw-bench.XXXXXX)
chmod 755 "$W"   # the vsw user must reach its run directory inside
NS1=vbench-ns1 NS2=vbench-ns2 P1=vbench-p1 P2=vbench-p2 BR=vbenchbr LBR=vbenchlbr OBR=vbenchobr

need() { command -v "$1" >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }; }
tools/install-deps
need ovs-vswitchd openvswitch-switch; need iperf3 iperf3; need trafgen netsniff-ng
need ethtool ethtool; need ping iputils-ping

BAZEL=${BAZEL:-bazel}
if [ -z "${VSW_BINDIR:-}" ]; then
    $BAZEL build //tools:vsw_ctl >/dev/null 2>&1 || { echo "build failed" >&2; exit 1; }
    VSW_BINDIR=$($BAZEL info bazel-bin 2>/dev/null)/tools
fi
export VSW_BINDIR
VSW="$VSW_BINDIR/vsw --rundir $W/vsw"

# ovs-vswitchd's userspace datapath leaves its own tap, ovs-netdev, when it exits: remove it
# after the run unless it was there before.
OVS_NETDEV_BEFORE=$(ip link show ovs-netdev >/dev/null 2>&1 && echo yes || echo no)
cleanup() {
    set +e
    "$VSW_BINDIR/vsw_ctl" stop --rundir "$W/vsw" >/dev/null 2>&1
    for f in "$W"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
    for ns in $NS1 $NS2; do ip netns pids $ns 2>/dev/null | xargs -r kill; ip netns del $ns 2>/dev/null; done
    ip link del $P1 2>/dev/null; ip link del $P2 2>/dev/null
    ip link del $LBR 2>/dev/null; ip link del $BR 2>/dev/null; ip link del $OBR 2>/dev/null
    [ "$OVS_NETDEV_BEFORE" = no ] && ip link del ovs-netdev 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT

# --- topology ---
for i in 1 2; do
    ns=vbench-ns$i p=vbench-p$i
    ip netns add $ns
    ip link add $p type veth peer name ${p}n
    ip link set ${p}n netns $ns
    ip -n $ns addr add 10.99.0.$i/24 dev ${p}n
    ip -n $ns link set ${p}n up; ip -n $ns link set lo up
    ip link set $p up
done
MAC1=$(ip netns exec $NS1 cat /sys/class/net/${P1}n/address)
MAC2=$(ip netns exec $NS2 cat /sys/class/net/${P2}n/address)
printf '{ eth(da=%s, sa=%s), ipv4(saddr=10.99.0.1, daddr=10.99.0.2, ttl=64), udp(sp=dinc(1000,2000), dp=9), fill(0x00, 18) }\n' "$MAC2" "$MAC1" >"$W/udp64.cfg"

tx_offload() {  # on|off, in both namespaces
    for i in 1 2; do ip netns exec vbench-ns$i ethtool -K vbench-p${i}n tx "$1" >/dev/null; done
}
rx2() { ip netns exec $NS2 cat /sys/class/net/${P2}n/statistics/rx_packets; }

declare -A FIG
measure() {  # $1 = switch name
    local sw=$1 r0 r1 rtt bps pps
    ip netns exec $NS1 ping -c 3 -i 0.2 -W 2 10.99.0.2 >/dev/null || { echo "$sw ping FAILED"; return 1; }
    rtt=$(ip netns exec $NS1 ping -q -c 100 -i 0.01 10.99.0.2 | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
    echo "$sw ping_avg_rtt $rtt ms"
    ip netns exec $NS2 iperf3 -s -1 -D --pidfile "$W/iperf.pid"; sleep 0.5
    bps=$(ip netns exec $NS1 iperf3 -c 10.99.0.2 -t "$T" -J | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9,3))')
    echo "$sw tcp_throughput $bps Gbit/s"
    r0=$(rx2)
    ip netns exec $NS1 timeout "$T" trafgen --dev ${P1}n --conf "$W/udp64.cfg" --cpus 1 -q >/dev/null 2>&1 || true
    r1=$(rx2)
    pps=$(( (r1 - r0) / T ))
    echo "$sw udp64_forwarded $pps pps"
    FIG[$sw.rtt]=$rtt FIG[$sw.tcp]=$bps FIG[$sw.pps]=$pps
}

# --- vsw: the daemons, a bridge with the two veths, configured as a user would ---
mkdir -p "$W/vsw"
"$VSW_BINDIR/vsw_ctl" start --rundir "$W/vsw" >/dev/null
$VSW add-br $BR -- add-port $BR $P1 -- add-port $BR $P2
sleep 1; measure vsw
echo "vsw offloads tx=$(ip netns exec $NS1 ethtool -k ${P1}n | awk '/^tx-checksumming/ {print $2}') (defaults)"
"$VSW_BINDIR/vsw_ctl" stop --rundir "$W/vsw" >/dev/null

# --- Linux bridge ---
ip link add $LBR type bridge; ip link set $P1 master $LBR; ip link set $P2 master $LBR; ip link set $LBR up
sleep 1; measure linux-bridge
ip link set $P1 nomaster; ip link set $P2 nomaster; ip link del $LBR

# --- Open vSwitch, userspace datapath (transmit checksum offload off in the namespaces) ---
tx_offload off
export OVS_RUNDIR=$W OVS_DBDIR=$W OVS_LOGDIR=$W OVS_SYSCONFDIR=$W
ovsdb-tool create "$W/conf.db" /usr/share/openvswitch/vswitch.ovsschema
ovsdb-server "$W/conf.db" --remote=punix:"$W/db.sock" --pidfile="$W/ovsdb-server.pid" --detach --log-file="$W/ovsdb-server.log" 2>/dev/null
V="ovs-vsctl --db=unix:$W/db.sock --timeout=30"
$V --no-wait init
ovs-vswitchd unix:"$W/db.sock" --pidfile="$W/ovs-vswitchd.pid" --detach --log-file="$W/ovs-vswitchd.log" 2>/dev/null
$V add-br $OBR -- set bridge $OBR datapath_type=netdev
$V add-port $OBR $P1 -- add-port $OBR $P2
sleep 1; measure ovs-netdev
tx_offload on

ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%.2f' % (a/b) if b else 'n/a')" "$1" "$2"; }
echo "ratio udp64_pps vsw/ovs-netdev $(ratio "${FIG[vsw.pps]}" "${FIG[ovs-netdev.pps]}") (target >= 2)"
echo "ratio udp64_pps vsw/linux-bridge $(ratio "${FIG[vsw.pps]}" "${FIG[linux-bridge.pps]}")"
echo "ratio tcp vsw/ovs-netdev $(ratio "${FIG[vsw.tcp]}" "${FIG[ovs-netdev.tcp]}") (target >= 3)"
echo "ratio tcp vsw/linux-bridge $(ratio "${FIG[vsw.tcp]}" "${FIG[linux-bridge.tcp]}")"
echo "ratio rtt vsw/ovs-netdev $(ratio "${FIG[vsw.rtt]}" "${FIG[ovs-netdev.rtt]}") (target <= 1)"
echo "ratio rtt vsw/linux-bridge $(ratio "${FIG[vsw.rtt]}" "${FIG[linux-bridge.rtt]}")"
