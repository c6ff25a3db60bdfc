#!/usr/bin/env bash
# Build kube-apiserver, kube-controller-manager, kubectl and etcd from Go modules into a cache dir.
#
# usage: hack/k8s/build.sh <k8s version, e.g. v1.37.2> <bin dir>
#
# The binaries are built into a temporary sibling directory and renamed into place only when all
# of them are there, with a .complete stamp, so an interrupted build never leaves a half cache.
set -euo pipefail

K8S_VERSION=${1:?usage: $0 <k8s version> <bin dir>}
BIN_DIR=${2:?usage: $0 <k8s version> <bin dir>}
[[ $BIN_DIR == /* ]] || BIN_DIR=$PWD/$BIN_DIR
HERE=$(cd "$(dirname "$0")" && pwd)
BINARIES=(kube-apiserver kube-controller-manager kubectl etcd)

if [[ -f $BIN_DIR/.complete ]]; then
  exit 0
fi

parent=$(dirname "$BIN_DIR")
mkdir -p "$parent"
# One build at a time per cache dir; a second `make k8s-bins` waits and then finds the stamp.
if command -v flock >/dev/null; then
  exec 9>"$parent/.build.lock"
  flock 9
  [[ -f $BIN_DIR/.complete ]] && exit 0
fi

cd "$HERE"
export CGO_ENABLED=0 GOTOOLCHAIN=${GOTOOLCHAIN:-local}
# -p bounds the parallel compile jobs (the machines are small and shared).
# -mod=readonly: the checked-in go.sum is authoritative (gen-replaces.sh regenerates both).
export GOFLAGS="-mod=readonly -p=${K8S_BUILD_JOBS:-2} -buildvcs=false"

# go.mod is generated for one release; regenerate it when K8S_VERSION moved on.
have=$(go list -m -f '{{.Version}}' k8s.io/kubernetes 2>/dev/null || true)
if [[ $have != "$K8S_VERSION" ]]; then
  echo "k8s-bins: go.mod has k8s.io/kubernetes '${have}', regenerating for ${K8S_VERSION}" >&2
  ./gen-replaces.sh "$K8S_VERSION"
fi
etcd_version=$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)

ver=${K8S_VERSION#v}
major=${ver%%.*}
minor=${ver#*.}
minor=${minor%%.*}
build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X ${pkg}.gitVersion=${K8S_VERSION}"
  ldflags+=" -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
  ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=${build_date}"
  ldflags+=" -X ${pkg}.gitCommit="   # unknown: the module zip carries no git metadata
done

tmp=$(mktemp -d "$parent/.bin.tmp.XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

echo "k8s-bins: building Kubernetes ${K8S_VERSION} and etcd ${etcd_version} into ${BIN_DIR}" \
  "(cold: 15-40 min on 2 cores)" >&2
start=$SECONDS
# One invocation, so the packages the binaries share compile once.
go build -trimpath -ldflags "$ldflags" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kubectl \
  go.etcd.io/etcd/server/v3
mv "$tmp/server" "$tmp/etcd"   # the etcd main package is the module root go.etcd.io/etcd/server/v3
for b in "${BINARIES[@]}"; do
  [[ -x $tmp/$b ]] || { echo "k8s-bins: $b was not built" >&2; exit 1; }
done
cat >"$tmp/VERSIONS" <<VERSIONS
kubernetes ${K8S_VERSION}
etcd ${etcd_version}
go $(go env GOVERSION)
built ${build_date} in $((SECONDS - start))s
VERSIONS
touch "$tmp/.complete"
rm -rf "$BIN_DIR"
mv "$tmp" "$BIN_DIR"
trap - EXIT
echo "k8s-bins: done in $((SECONDS - start))s: $(du -sh "$BIN_DIR" | cut -f1) in ${BIN_DIR}" >&2
