#!/usr/bin/env bash
# The CPU benchmarks of Stage 1 in one JMH invocation (so every ratio comes from one run on one machine):
# memory bandwidth (triad), BoI aggregation vs the straightforward HashMap implementation, k-means assignment
# (Vector API vs scalar Java), the SVD's sparse product (CSR x dense vs one axpy per non-zero). Writes perf-tests/target/jmh-cpu.{json,log} and prints the summary table.
# Usage: perf-tests/bench-cpu.sh [extra JMH options, e.g. -wi 1 -i 2]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bin/java-home.sh"
cd "$root"
rm -rf perf-tests/target/classes   # JMH lists benchmarks at compile time: an incremental build would drop some
./mvnw -q -B -ntp package -DskipTests -pl perf-tests -am
out=perf-tests/target
"$JAVA_HOME/bin/java" -jar $out/benchmarks.jar 'BandwidthBenchmark|BoiAggregationBenchmark|KMeansAssignBenchmark|CsrProductBenchmark' \
  -rf json -rff $out/jmh-cpu.json "$@" 2>&1 | tee $out/jmh-cpu.log
python3 perf-tests/summarize.py $out/jmh-cpu.json $out/jmh-cpu.log
