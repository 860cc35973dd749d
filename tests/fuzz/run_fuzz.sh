#!/bin/bash
# Runs a libFuzzer binary for FUZZ_SECONDS (default 60) from a small seed corpus of valid
# OpenFlow messages and flows, and writes the JUnit summary tests/run counts (one test case).
set -u
fuzzer=$1
seconds=${FUZZ_SECONDS:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
corpus=$work/corpus
mkdir -p "$corpus"

# Seeds: valid messages of both versions and flows in ovs-ofctl's syntax (see the file).
seeds=$(dirname "$0")/openflow_seeds.txt
awk -v dir="$corpus" '
    /^#/ || /^$/ { next }
    /^= / { name = dir "/" $2; next }
    /^T/ { printf "%s", $0 > name; close(name); next }
    { gsub(/ /, ""); printf "%s", $0 >> (name ".hex") }' "$seeds"
for hex in "$corpus"/*.hex; do
    xxd -r -p "$hex" > "${hex%.hex}" && rm "$hex"
done

"$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="${TEST_UNDECLARED_OUTPUTS_DIR:-$work}/" "$corpus" > "$work/log" 2>&1
rc=$?
tail -n 25 "$work/log"
failures=$([ $rc -eq 0 ] && echo 0 || echo 1)
if [ -n "${XML_OUTPUT_FILE:-}" ]; then
    cat > "$XML_OUTPUT_FILE" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="1" failures="$failures" errors="0">
  <testsuite name="openflow_fuzz" tests="1" failures="$failures" errors="0">
    <testcase name="DecoderSurvives${seconds}Seconds"/>
  </testsuite>
</testsuites>
XML
fi
exit $rc
