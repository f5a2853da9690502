# Sourced by the scripts in bin/ and .ci/: finds a JDK 25 (JAVA_HOME if it is one, else the usual places)
# and exports JAVA_HOME, or stops with a clear message.
lurm_find_jdk25() {
  local c v
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-arm64 /usr/lib/jvm/java-25-openjdk-amd64 /usr/lib/jvm/jdk-25*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] || continue
    v=$("$c/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ "${v%%.*}" -ge 25 ] 2>/dev/null; then export JAVA_HOME="$c"; return 0; fi
  done
  echo "lurm needs a JDK 25 or newer: none found (looked at \$JAVA_HOME and /usr/lib/jvm/*25*)." >&2
  echo "Install Temurin 25 (e.g. apt-get install temurin-25-jdk from Adoptium) and set JAVA_HOME to it." >&2
  return 1
}
lurm_find_jdk25 || exit 1
