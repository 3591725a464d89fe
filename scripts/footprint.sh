#!/usr/bin/env bash
# Prints the jars and MB an application gets from cdc-core at run time (Micrometer is optional, so left out).
set -euo pipefail
cp=$(mktemp)
mvn -B -q dependency:build-classpath -pl cdc-core -DincludeScope=runtime \
    -DexcludeGroupIds=io.micrometer,org.jspecify,org.hdrhistogram -Dmdep.outputFile="$cp" >/dev/null
tr ':' '\n' < "$cp" | grep -c . | xargs printf 'jars: %s\n'
tr ':' '\n' < "$cp" | xargs du -cb | tail -1 | awk '{printf "MB: %.1f\n", $1/1e6}'
