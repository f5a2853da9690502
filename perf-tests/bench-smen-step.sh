#!/usr/bin/env bash
# One SMEN training step, Java (JMH SmenStepBenchmark) against the PyTorch reference (smen_reference.py bench,
# eager, Debian's torch on the CPU), same sizes and the same threads, one after the other on this machine.
# Usage: perf-tests/bench-smen-step.sh [threads]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bin/java-home.sh"
cd "$root"
threads=${1:-$(nproc)}
rm -rf perf-tests/target/classes   # JMH lists benchmarks at compile time: an incremental build would drop some
./mvnw -q -B -ntp package -DskipTests -pl perf-tests -am
out=perf-tests/target
"$JAVA_HOME/bin/java" -jar $out/benchmarks.jar SmenStepBenchmark -p threads="$threads" -rf json -rff $out/jmh-smen-step.json 2>&1 | tee $out/jmh-smen-step.log
py=$(/usr/bin/python3 perf-tests/python/smen_reference.py bench --threads "$threads" --steps 10 --warmup 3 | tail -1)
echo "$py"
/usr/bin/python3 - "$out/jmh-smen-step.json" "$py" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))[0]["primaryMetric"]
java_ms = j["score"]
torch = json.loads(sys.argv[2])
t_ms = torch["ms_per_step"]
print(f"| one SMEN training step | Java {java_ms:.1f} ms (+-{j['scoreError']:.1f}) | PyTorch eager {t_ms:.1f} ms | Java is {t_ms / java_ms:.2f}x PyTorch |")
PY
