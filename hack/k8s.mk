# A real Kubernetes control plane for the test suite, built from Go modules (issue #3).
#
#   make k8s-bins      build kube-apiserver, kube-controller-manager, kubectl, etcd and helm once
#                      into $(CACHE_DIR) (a rerun with everything present is a no-op)
#   make cluster-up    start etcd + kube-apiserver + kube-controller-manager; prints KUBECONFIG
#   make cluster-down  stop it and remove its state
#   make k8s-mod       regenerate hack/k8s/go.mod (staging replaces) for K8S_VERSION
#
# Included by the top-level Makefile, which defines CACHE_DIR. The defaults below are also read by
# tests/integration/controlplane.py, so keep them as plain `NAME ?= value` lines.

K8S_VERSION ?= v1.37.2
HELM_VERSION ?= v3.22.0
K8S_BIN_DIR ?= $(CACHE_DIR)/k8s/$(K8S_VERSION)/bin
HELM_BIN_DIR ?= $(CACHE_DIR)/helm/$(HELM_VERSION)
HELM ?= $(HELM_BIN_DIR)/helm
CLUSTER_DIR ?= $(CACHE_DIR)/cluster
# Parallel Go compile jobs (`go build -p`); the build machines are small and shared.
K8S_BUILD_JOBS ?= 2

# The test fixture and the cluster CLI find the binaries through these.
export HYPERSCORE_K8S_BIN_DIR ?= $(K8S_BIN_DIR)
export HYPERSCORE_HELM ?= $(HELM)

.PHONY: k8s-bins
k8s-bins: $(K8S_BIN_DIR)/.complete $(HELM) ## build (or reuse) the Kubernetes binaries and helm

# Stamp-based: the stamp is written last, inside a directory that is renamed into place atomically.
$(K8S_BIN_DIR)/.complete:
	K8S_BUILD_JOBS=$(K8S_BUILD_JOBS) hack/k8s/build.sh $(K8S_VERSION) $(K8S_BIN_DIR)

$(HELM):
	K8S_BUILD_JOBS=$(K8S_BUILD_JOBS) hack/k8s/build-helm.sh $(HELM_VERSION) $(HELM)

.PHONY: k8s-mod
k8s-mod: ## regenerate hack/k8s/go.mod and go.sum for K8S_VERSION
	hack/k8s/gen-replaces.sh $(K8S_VERSION)

.PHONY: cluster-up
cluster-up: install k8s-bins ## start a local control plane and print its KUBECONFIG
	@$(PY) -m tests.integration.controlplane up --state-dir $(CLUSTER_DIR)

.PHONY: cluster-down
cluster-down: ## stop the control plane started by cluster-up
	@$(PY) -m tests.integration.controlplane down --state-dir $(CLUSTER_DIR)
