#!/usr/bin/env bash
# Build helm with `go install` on its own (its module graph is independent of hack/k8s/go.mod).
#
# usage: hack/k8s/build-helm.sh <helm version, e.g. v3.22.0> <output file, e.g. .../helm/v3.22.0/helm>
set -euo pipefail

HELM_VERSION=${1:?usage: $0 <helm version> <output file>}
OUT=${2:?usage: $0 <helm version> <output file>}
[[ -x $OUT ]] && exit 0

major=${HELM_VERSION%%.*}              # v3 or v4
module=helm.sh/helm
[[ $major != v1 && $major != v2 ]] && module+="/$major"

dir=$(dirname "$OUT")
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.gobin.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# The same version stamps helm's own Makefile sets: its version, and the Kubernetes version that
# `helm template`/`helm lint` assume by default (from the k8s.io/client-go that helm links).
helm_gomod=$(cd / && GOFLAGS='' go mod download -json "${module}@${HELM_VERSION}" \
  | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
client_go=$(awk '$1 == "k8s.io/client-go" { print $2; exit }' "$helm_gomod")   # v0.37.0
k8s_minor=$(cut -d. -f2 <<<"$client_go")
ldflags="-s -w -X ${module}/internal/version.version=${HELM_VERSION}"
for pkg in pkg/lint/rules pkg/chartutil pkg/chart/common; do   # v3 and v4 locations
  ldflags+=" -X ${module}/${pkg}.k8sVersionMajor=1 -X ${module}/${pkg}.k8sVersionMinor=${k8s_minor}"
done

echo "k8s-bins: go install ${module}/cmd/helm@${HELM_VERSION}" >&2
start=$SECONDS
# Outside any module (cd /), so `go install pkg@version` uses helm's own go.mod.
(
  cd /
  CGO_ENABLED=0 GOTOOLCHAIN=${GOTOOLCHAIN:-local} GOBIN="$tmp" \
    GOFLAGS="-p=${K8S_BUILD_JOBS:-2} -buildvcs=false" \
    go install -trimpath -ldflags "$ldflags" "${module}/cmd/helm@${HELM_VERSION}"
)
mv "$tmp/helm" "$OUT"
echo "k8s-bins: helm ${HELM_VERSION} built in $((SECONDS - start))s: ${OUT}" >&2
