#!/bin/sh
# The sidecar built with TESSERA_STATIC_EDGE needs no shared object but glibc's: a shared C++
# library linked in by mistake would load libstdc++.so beside the static one (and its symbol
# tables and relocations: megabytes of resident memory in every sidecar).
set -eu
needed=$(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "$1 needs: $needed"
echo "$needed" | grep -q '^libc\.so' || { echo "no libc.so among them: is this the right file?"; exit 1; }
unexpected=$(echo "$needed" | grep -v -E '^(libc|libm)\.so|^ld-linux' || true)
if [ -n "$unexpected" ]; then
  echo "unexpected shared objects: $unexpected"
  exit 1
fi
