#!/usr/bin/env bash
# The consumer build: installs lurm into a local Maven repository, then builds and runs the example project
# examples/maven-consumer (a separate Maven project that depends on the installed jars as any user's would)
# against that same repository. Fails on any error.
#
#   examples/run.sh [LOCAL_REPO]
#
# LOCAL_REPO: the argument, else $LURM_M2_REPO, else Maven's default (~/.m2/repository). Further Maven options
# for both builds go in MAVEN_ARGS (read by Maven itself), e.g. MAVEN_ARGS=-o for an offline run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bin/java-home.sh"
example="$root/examples/maven-consumer"
repo=${1:-${LURM_M2_REPO:-}}
mvn=("$root/mvnw" -B -ntp)
if [ -n "$repo" ]; then
  mkdir -p "$repo"
  mvn+=("-Dmaven.repo.local=$(cd "$repo" && pwd)")
fi
echo "[examples] local repository: ${repo:-the default (~/.m2/repository)}"

# Before the long build: the example must use the project's version, and README.md must show its dependencies.
version=$(sed -n '/<artifactId>lurm-parent<\/artifactId>/,/<version>/s:.*<version>\(.*\)</version>.*:\1:p' "$root/pom.xml" | head -1)
[ -n "$version" ] || { echo "[examples] cannot read the project version from pom.xml" >&2; exit 1; }
wrong=$(awk -v v="$version" '/<groupId>org.lurm<\/groupId>/ {g = 1; next}
  g && /<artifactId>/ {a = $0; next}
  g && /<version>/ {if ($0 !~ "<version>" v "</version>") print a, $0; g = 0}' "$example/pom.xml")
if [ -n "$wrong" ]; then
  echo "[examples] $example/pom.xml does not depend on lurm $version (the project's version):" >&2
  grep -n -A2 '<groupId>org.lurm</groupId>' "$example/pom.xml" >&2
  exit 1
fi
deps() { sed -n '/^  <dependencies>$/,/^  <\/dependencies>$/p' "$1"; }
if [ "$(deps "$example/pom.xml")" != "$(deps "$root/README.md")" ]; then
  echo "[examples] README.md's dependency snippet differs from $example/pom.xml's <dependencies>:" >&2
  diff <(deps "$example/pom.xml") <(deps "$root/README.md") >&2 || true
  exit 1
fi

echo "[examples] installing lurm $version: ./mvnw install -DskipTests"
(cd "$root" && "${mvn[@]}" install -DskipTests)

echo "[examples] building and running examples/maven-consumer against the installed artifacts"
"${mvn[@]}" -f "$example/pom.xml" clean package exec:exec
echo "[examples] ok"
