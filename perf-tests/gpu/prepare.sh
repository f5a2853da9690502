#!/usr/bin/env bash
# Prepares what the GPU check carries to a GPU machine that has CUDA, nvcc and PyTorch but no Java and no
# network (ARCHITECTURE.md "GPU machines"): one git-ignored folder, .gpu/ at the repository root, under 64 MiB:
#   jdk.tgz              a jlink'd JDK 25 runtime (java.base, jdk.incubator.vector, jdk.unsupported, java.logging,
#                        java.xml, java.management, jdk.management)
#   lib/*.jar            the project jars (java-api, its test-jar, bindings, perf-tests classes, cli) and their
#                        run-time dependencies (JavaCPP + its CUDA presets for cuBLAS, picocli, JFreeChart)
#   test-classes/        the compiled tests of bindings (org.lurm.cuda.*, org.lurm.cuda.smen.* when present)
#   junit-platform-console-standalone.jar   the JUnit console (matching JUnit ${junit.version})
#   native-kernels/      the CUDA sources (build.sh, include/, src/, test/), built there with its nvcc
#   python/              the PyTorch reference (smen_reference.py)
#   data/                movielens-100k and movielens-1m-subset from ../shared/data (or $LURM_DATA_DIR), for the
#                        tests that read them (run.sh sets CI=true: absent data fails) and the lurm fit row; the
#                        MovieLens terms allow project-internal use only: .gpu/ is git-ignored and only ever
#                        carried to a machine lent to this project, never committed or published
#   MANIFEST             sizes and the commit they came from
# Run here (with JDK 25 and Maven Central reachable once for the console jar); then, on the GPU machine,
# perf-tests/gpu/run.sh with .gpu carried (device tool: carry [".gpu"]).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/bin/java-home.sh"
cd "$root"
bundle="$root/.gpu"
junit_version=$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' pom.xml | head -1)
echo "[prepare] building the jars and test classes (JDK: $JAVA_HOME, JUnit $junit_version)"
rm -rf perf-tests/target/classes
# One reactor build, so that our modules resolve from it (never from ~/.m2); each module writes its run-time
# class path to target/runtime.classpath.
./mvnw -q -B -ntp -DskipTests package dependency:build-classpath -pl java-api,native-kernels,bindings,eval,perf-tests,cli \
  -Dmdep.includeScope=runtime -Dmdep.outputFile=target/runtime.classpath
./mvnw -q -B -ntp -DskipTests test-compile -pl java-api,native-kernels,bindings
cp_file=perf-tests/target/runtime.classpath
rm -rf "$bundle"
mkdir -p "$bundle/lib" "$bundle/native-kernels" "$bundle/python"
{ cat "$cp_file"; echo; cat cli/target/runtime.classpath; } | tr ':' '\n' | sort -u | while read -r j; do
  case "$j" in
    # our modules (added below), JMH (not needed there), JUnit (the console jar has it), Jazzer (cli's fuzz tests)
    */org/lurm/*|*/lurm-*|*/jmh-core*|*/jopt-simple*|*/commons-math3*|*/junit-*|*/opentest4j*|*/apiguardian*|*/jspecify*|*/jazzer*|"") ;;
    *.jar) cp "$j" "$bundle/lib/" ;;
  esac
done
v=$(sed -n 's:^  <version>\(.*\)</version>.*:\1:p' pom.xml | head -1)
cp "java-api/target/lurm-java-api-$v.jar" "java-api/target/lurm-java-api-$v-tests.jar" "eval/target/lurm-eval-$v.jar" "bindings/target/lurm-bindings-$v.jar" "cli/target/lurm-cli-$v.jar" "$bundle/lib/"
# perf-tests: our classes only (the shaded JMH jar is not needed on the GPU machine).
"$JAVA_HOME/bin/jar" --create --file "$bundle/lib/lurm-perf-tests-$v.jar" -C perf-tests/target/classes org
cp -r bindings/target/test-classes "$bundle/test-classes"
console="$HOME/.m2/repository/org/junit/platform/junit-platform-console-standalone/$junit_version/junit-platform-console-standalone-$junit_version.jar"
if [ ! -f "$console" ]; then
  ./mvnw -q -B -ntp dependency:get -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit_version" >/dev/null
fi
cp "$console" "$bundle/junit-platform-console-standalone.jar"
cp -r native-kernels/build.sh native-kernels/include native-kernels/src "$bundle/native-kernels/"
[ -d native-kernels/test ] && cp -r native-kernels/test "$bundle/native-kernels/"
cp perf-tests/python/smen_reference.py "$bundle/python/"
data=${LURM_DATA_DIR:-$root/../shared/data}
for d in movielens-100k movielens-1m-subset; do
  if [ -d "$data/$d" ]; then
    mkdir -p "$bundle/data" && cp -r "$data/$d" "$bundle/data/" && chmod -R u+w "$bundle/data/$d"
  else
    echo "[prepare] warning: $data/$d not found: on the GPU machine the tests that read it fail (CI=true) and the lurm fit row is not measured" >&2
  fi
done
echo "[prepare] jlink"
tmp=$(mktemp -d)
"$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector,jdk.unsupported,java.logging,java.xml,java.management,jdk.management \
  --strip-debug --no-man-pages --no-header-files --compress=zip-9 --output "$tmp/jdk"
tar -C "$tmp" -czf "$bundle/jdk.tgz" jdk
rm -rf "$tmp"
{
  echo "commit $(git rev-parse HEAD)$(git diff --quiet HEAD -- . || echo ' (with uncommitted changes)')"
  echo "prepared $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  (cd "$bundle" && du -sk jdk.tgz lib test-classes junit-platform-console-standalone.jar native-kernels python $(ls -d data 2>/dev/null))
} >"$bundle/MANIFEST"
total=$(du -sk "$bundle" | cut -f1)
cat "$bundle/MANIFEST"
echo "[prepare] $bundle: $((total / 1024)) MiB in all (limit 64 MiB with the working tree)"
if [ "$total" -gt $((60 * 1024)) ]; then echo "[prepare] too large to carry" >&2; exit 1; fi
