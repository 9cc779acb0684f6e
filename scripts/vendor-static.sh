#!/usr/bin/env bash
# Vendor the dashboard's front-end libraries from their npm packages, at pinned versions.
#
# Each package is fetched with `npm pack` (a tarball from the npm registry, no install, no
# scripts run), and only its built file(s) (less their source-map comment) and its licence
# are copied into lucro/dashboard/static/dashboard/vendor/<name>/, with VERSIONS recording
# what came from where. The copies are committed: the running service never needs npm or the network (the
# dashboard works on a LAN with no internet; WhiteNoise serves them). Run it again after
# changing a pin below, and update THIRD_PARTY_NOTICES.md.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/lucro/dashboard/static/dashboard/vendor"

# package@version  files to copy (paths inside the package)  target folder
PACKAGES=(
  "chart.js@4.5.1|dist/chart.umd.min.js LICENSE.md|chartjs"
  "htmx.org@2.0.8|dist/htmx.min.js LICENSE|htmx"
  "@picocss/pico@2.1.1|css/pico.min.css LICENSE.md|pico"
)

command -v npm >/dev/null || { echo "vendor-static: npm is required" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

rm -rf "$DEST"
mkdir -p "$DEST"
{
  echo "# Vendored by scripts/vendor-static.sh from the npm registry (npm pack); do not edit."
  echo "# package version sha512-integrity"
} > "$DEST/VERSIONS"

for entry in "${PACKAGES[@]}"; do
  IFS='|' read -r spec files folder <<< "$entry"
  name="${spec%@*}"
  version="${spec##*@}"
  mkdir -p "$WORK/$folder"
  # --json reports the tarball's integrity (the registry's sha512), recorded below.
  (cd "$WORK/$folder" && npm pack --silent --json "$spec" > pack.json)
  tarball="$(cd "$WORK/$folder" && ls ./*.tgz)"
  tar -xzf "$WORK/$folder/$tarball" -C "$WORK/$folder"
  mkdir -p "$DEST/$folder"
  for file in $files; do
    target="$DEST/$folder/$(basename "$file")"
    cp "$WORK/$folder/package/$file" "$target"
    # Source maps are not shipped: drop the comment that names one, or production's
    # collectstatic (whitenoise's manifest storage follows it) fails on the missing file.
    case "$target" in
      *.js|*.css) sed -i '/^\/[\/*]# sourceMappingURL=/d' "$target" ;;
    esac
  done
  integrity="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["integrity"])' \
    "$WORK/$folder/pack.json")"
  echo "$name $version $integrity" >> "$DEST/VERSIONS"
  echo "vendor-static: $name $version -> ${DEST#"$ROOT"/}/$folder/"
done
