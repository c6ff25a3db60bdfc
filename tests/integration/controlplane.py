"""A real Kubernetes control plane for tests: etcd, kube-apiserver, kube-controller-manager.

The binaries are built from Go modules by ``make k8s-bins`` (hack/k8s.mk, hack/k8s/). The control
plane is started envtest-style on free loopback ports: a generated CA, a serving certificate, an
admin client certificate (O=system:masters), service-account issuer and signing keys, RBAC
authorization and the PodSecurity admission plugin. There is no kubelet, so pods never run (see
tests/integration/jobs.py for driving Job pods to completion).

Used by the pytest fixtures in tests/integration/conftest.py, and from the shell::

    python -m tests.integration.controlplane up   --state-dir DIR   # prints KUBECONFIG
    python -m tests.integration.controlplane down --state-dir DIR
"""

from __future__ import annotations

import argparse
import atexit
import base64
import contextlib
import ctypes
import datetime as dt
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REPO_ROOT = Path(__file__).resolve().parents[2]
K8S_MK = REPO_ROOT / "hack" / "k8s.mk"

BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kubectl")
SERVICE_CIDR = "10.0.0.0/24"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"
# kube-controller-manager controllers: at least job, garbage-collector and namespace (issue #3),
# plus what those need to be useful: service accounts and their tokens, the kube-root-ca.crt
# ConfigMap, the aggregated admin/edit/view roles, and the usual workload controllers. No
# pod-garbage-collector or node-lifecycle controller: there are no nodes here.
CONTROLLERS = (
    "job-controller",
    "cronjob-controller",
    "ttl-after-finished-controller",
    "garbage-collector-controller",
    "namespace-controller",
    "serviceaccount-controller",
    "serviceaccount-token-controller",
    "root-ca-certificate-publisher-controller",
    "clusterrole-aggregation-controller",
    "deployment-controller",
    "replicaset-controller",
    "statefulset-controller",
)
STATE_PREFIX = "hyperscore-k8s-"
STATE_FILE = "state.json"
OWNER_FILE = "owner.pid"


class BinariesMissingError(RuntimeError):
    """The Kubernetes binaries have not been built (``make k8s-bins``)."""


class ControlPlaneError(RuntimeError):
    """The control plane did not come up."""


# --------------------------------------------------------------------------------------------
# Where the binaries are
# --------------------------------------------------------------------------------------------


def make_default(name: str) -> str:
    """The default of a ``NAME ?= value`` variable in hack/k8s.mk (one source of truth)."""
    match = re.search(rf"^{re.escape(name)}\s*\?=\s*(\S+)\s*$", K8S_MK.read_text(), re.MULTILINE)
    if match is None:
        raise RuntimeError(f"{K8S_MK} does not define {name} ?= ...")
    return match.group(1)


def cache_dir() -> Path:
    """The Makefile's default CACHE_DIR, where ``make k8s-bins`` puts the binaries.

    Not $HYPERSCORE_CACHE_DIR: the test suite points that at a fresh temp dir for the engine's
    caches (tests/conftest.py). ``make`` exports HYPERSCORE_K8S_BIN_DIR/HYPERSCORE_HELM for a
    non-default CACHE_DIR.
    """
    return Path.home() / ".cache" / "hyperscore"


def default_bin_dir() -> Path:
    env = os.environ.get("HYPERSCORE_K8S_BIN_DIR")
    if env:
        return Path(env)
    return cache_dir() / "k8s" / make_default("K8S_VERSION") / "bin"


def default_helm() -> Path:
    env = os.environ.get("HYPERSCORE_HELM")
    if env:
        return Path(env)
    return cache_dir() / "helm" / make_default("HELM_VERSION") / "helm"


def find_bin_dir(bin_dir: Path | None = None) -> Path:
    """The directory holding etcd, kube-apiserver, kube-controller-manager and kubectl."""
    path = bin_dir or default_bin_dir()
    missing = [b for b in BINARIES if not os.access(path / b, os.X_OK)]
    if missing:
        raise BinariesMissingError(
            f"Kubernetes binaries missing in {path}: {', '.join(missing)}. Build them with "
            "`make k8s-bins` (`make test` does it first), or point HYPERSCORE_K8S_BIN_DIR at a "
            "directory that holds them."
        )
    return path


def find_helm(helm: Path | None = None) -> Path:
    path = helm or default_helm()
    if not os.access(path, os.X_OK):
        raise BinariesMissingError(
            f"helm missing at {path}. Build it with `make k8s-bins`, or set HYPERSCORE_HELM."
        )
    return path


# --------------------------------------------------------------------------------------------
# Certificates and keys
# --------------------------------------------------------------------------------------------


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())  # fast to generate, unlike RSA


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class _Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def _issue(
    subject: x509.Name,
    *,
    ca: _Issued | None,
    is_ca: bool = False,
    usages: Sequence[x509.ObjectIdentifier] = (),
    dns_names: Sequence[str] = (),
    ips: Sequence[str] = (),
) -> _Issued:
    key = _new_key()
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.cert.subject if ca else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=is_ca,
                crl_sign=is_ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    if usages:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(usages)), critical=False)
    if dns_names or ips:
        names: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
        names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(ca.key if ca else key, hashes.SHA256())
    return _Issued(cert, key)


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attrs)


@dataclass(frozen=True)
class Pki:
    """Paths of the generated certificates and keys."""

    ca_cert: Path
    serving_cert: Path
    serving_key: Path
    admin_cert: Path
    admin_key: Path
    kcm_cert: Path
    kcm_key: Path
    front_proxy_ca: Path
    front_proxy_cert: Path
    front_proxy_key: Path
    sa_key: Path
    sa_pub: Path

    @classmethod
    def generate(cls, directory: Path) -> Pki:
        directory.mkdir(parents=True, exist_ok=True)
        ca = _issue(_name("hyperscore-test-ca"), ca=None, is_ca=True)
        first_service_ip = str(next(ipaddress.ip_network(SERVICE_CIDR).hosts()))
        serving = _issue(
            _name("kube-apiserver"),
            ca=ca,
            usages=[ExtendedKeyUsageOID.SERVER_AUTH],
            dns_names=[
                "localhost",
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local",
            ],
            ips=["127.0.0.1", first_service_ip],
        )
        admin = _issue(
            _name("hyperscore-admin", "system:masters"),
            ca=ca,
            usages=[ExtendedKeyUsageOID.CLIENT_AUTH],
        )
        # The controller manager authenticates as itself (bootstrap RBAC role
        # system:kube-controller-manager) and runs each controller as its own service account.
        kcm = _issue(
            _name("system:kube-controller-manager"),
            ca=ca,
            usages=[ExtendedKeyUsageOID.CLIENT_AUTH],
        )
        # The aggregation layer's front proxy (kube-apiserver -> extension API servers); with its
        # request-header CA configured, delegated authentication in the controller manager works.
        front_proxy_ca = _issue(_name("hyperscore-front-proxy-ca"), ca=None, is_ca=True)
        front_proxy = _issue(
            _name("front-proxy-client"), ca=front_proxy_ca, usages=[ExtendedKeyUsageOID.CLIENT_AUTH]
        )
        sa_key = _new_key()

        def write(name: str, data: bytes) -> Path:
            path = directory / name
            path.write_bytes(data)
            path.chmod(0o600)
            return path

        return cls(
            ca_cert=write("ca.crt", _cert_pem(ca.cert)),
            serving_cert=write("apiserver.crt", _cert_pem(serving.cert)),
            serving_key=write("apiserver.key", _key_pem(serving.key)),
            admin_cert=write("admin.crt", _cert_pem(admin.cert)),
            admin_key=write("admin.key", _key_pem(admin.key)),
            kcm_cert=write("kube-controller-manager.crt", _cert_pem(kcm.cert)),
            kcm_key=write("kube-controller-manager.key", _key_pem(kcm.key)),
            front_proxy_ca=write("front-proxy-ca.crt", _cert_pem(front_proxy_ca.cert)),
            front_proxy_cert=write("front-proxy-client.crt", _cert_pem(front_proxy.cert)),
            front_proxy_key=write("front-proxy-client.key", _key_pem(front_proxy.key)),
            sa_key=write("sa.key", _key_pem(sa_key)),
            sa_pub=write(
                "sa.pub",
                sa_key.public_key().public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                ),
            ),
        )


def write_kubeconfig(path: Path, server: str, ca: Path, cert: Path, key: Path, user: str) -> Path:
    def b64(p: Path) -> str:
        return base64.b64encode(p.read_bytes()).decode()

    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "hyperscore-test",
                "cluster": {"server": server, "certificate-authority-data": b64(ca)},
            }
        ],
        "users": [
            {
                "name": user,
                "user": {"client-certificate-data": b64(cert), "client-key-data": b64(key)},
            }
        ],
        "contexts": [
            {"name": "hyperscore-test", "context": {"cluster": "hyperscore-test", "user": user}}
        ],
        "current-context": "hyperscore-test",
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)
    return path


# --------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """preexec_fn: the child gets SIGKILL if the test process dies (even by SIGKILL itself).

    SIGKILL, not SIGTERM: all three would get it at once, and a kube-apiserver whose etcd is gone
    hangs in its graceful shutdown."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _terminate_group(pid: int, marker: str, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL, the process group led by ``pid`` -- only if ``pid`` is still ours
    (its command line mentions ``marker``, our state directory)."""
    if not _pid_alive(pid) or marker not in _cmdline(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _pid_alive(pid) or _is_zombie(pid):
            break
        time.sleep(0.05)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError, ProcessLookupError):
        os.waitpid(pid, os.WNOHANG)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def sweep_stale_state(tmp_root: Path | None = None) -> None:
    """Remove what a test process killed with SIGKILL left behind: its temp directory and any
    control-plane process still running from it (normally they died with their parent)."""
    root = tmp_root or Path(tempfile.gettempdir())
    for directory in root.glob(f"{STATE_PREFIX}*"):
        try:
            owner = int((directory / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if _pid_alive(owner):
            continue
        _stop_from_state(directory)
        shutil.rmtree(directory, ignore_errors=True)


def _stop_from_state(directory: Path) -> None:
    try:
        state = json.loads((directory / STATE_FILE).read_text())
    except (OSError, ValueError):
        return
    # reverse start order: a kube-apiserver whose etcd is gone hangs in its graceful shutdown
    for pid in reversed(list(state.get("pids", {}).values())):
        _terminate_group(int(pid), str(directory))


@dataclass
class _Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path


@dataclass
class ControlPlane:
    """etcd + kube-apiserver + kube-controller-manager on free loopback ports.

    ``state_dir`` holds certificates, etcd data, logs and the kubeconfig. By default it is a fresh
    temp directory, removed by :meth:`stop` unless ``keep_state_dir``; a given one is kept.
    With ``detached=True`` (the ``up`` CLI) the processes outlive this Python process; otherwise
    they are killed with it.
    """

    bin_dir: Path = field(default_factory=find_bin_dir)
    state_dir: Path | None = None
    detached: bool = False
    keep_state_dir: bool = False
    log_level: int = 1
    kubeconfig: Path = field(init=False)
    server: str = field(init=False, default="")
    startup_seconds: float = field(init=False, default=0.0)
    # seconds from start() until each component was ready: etcd, kube-apiserver, ...
    ready_after: dict[str, float] = field(init=False, default_factory=dict)
    pki: Pki = field(init=False)
    _procs: list[_Proc] = field(init=False, default_factory=list)
    _own_state_dir: bool = field(init=False, default=False)
    _stopped: bool = field(init=False, default=False)
    _started: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self.bin_dir = find_bin_dir(self.bin_dir)
        if self.state_dir is None:
            sweep_stale_state()
            self.state_dir = Path(tempfile.mkdtemp(prefix=STATE_PREFIX))
            self._own_state_dir = True
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.kubeconfig = self.state_dir / "kubeconfig"

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = 90.0) -> Self:
        """Start everything and wait until the apiserver is ready and the controllers run."""
        assert self.state_dir is not None
        started = self._started = time.monotonic()
        if not self.detached:
            atexit.register(self.stop)
        (self.state_dir / OWNER_FILE).write_text(str(os.getpid() if not self.detached else 0))
        try:
            self._start(started + timeout)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        self._write_state()
        return self

    def _start(self, deadline: float) -> None:
        assert self.state_dir is not None
        d = self.state_dir
        self.pki = Pki.generate(d / "pki")

        etcd_port, etcd_peer_port = free_port(), free_port()
        etcd_url = f"http://127.0.0.1:{etcd_port}"
        peer_url = f"http://127.0.0.1:{etcd_peer_port}"
        self._spawn(
            "etcd",
            [
                "--name=default",
                f"--data-dir={d / 'etcd'}",
                f"--listen-client-urls={etcd_url}",
                f"--advertise-client-urls={etcd_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=default={peer_url}",
                "--initial-cluster-state=new",
                "--unsafe-no-fsync=true",  # test data: speed over durability
                "--quota-backend-bytes=2147483648",
                "--log-level=warn",
            ],
        )
        self._wait("etcd", lambda: _http_ok(f"{etcd_url}/health"), deadline)

        api_port = free_port()
        self.server = f"https://127.0.0.1:{api_port}"
        pki = self.pki
        self._spawn(
            "kube-apiserver",
            [
                f"--etcd-servers={etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                # loopback cannot back the `kubernetes` Service endpoints; nothing in-cluster runs
                "--endpoint-reconciler-type=none",
                f"--secure-port={api_port}",
                f"--cert-dir={d / 'apiserver-certs'}",
                f"--tls-cert-file={pki.serving_cert}",
                f"--tls-private-key-file={pki.serving_key}",
                f"--client-ca-file={pki.ca_cert}",
                f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
                f"--service-account-key-file={pki.sa_pub}",
                f"--service-account-signing-key-file={pki.sa_key}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                f"--requestheader-client-ca-file={pki.front_proxy_ca}",
                "--requestheader-allowed-names=front-proxy-client",
                "--requestheader-username-headers=X-Remote-User",
                "--requestheader-group-headers=X-Remote-Group",
                "--requestheader-extra-headers-prefix=X-Remote-Extra-",
                f"--proxy-client-cert-file={pki.front_proxy_cert}",
                f"--proxy-client-key-file={pki.front_proxy_key}",
                "--authorization-mode=RBAC",
                "--enable-admission-plugins=PodSecurity,NamespaceLifecycle,ServiceAccount",
                "--allow-privileged=true",
                "--profiling=false",
                f"--v={self.log_level}",
            ],
        )
        write_kubeconfig(
            self.kubeconfig, self.server, pki.ca_cert, pki.admin_cert, pki.admin_key, "admin"
        )
        ctx = self.ssl_context()
        self._wait("kube-apiserver", lambda: _http_ok(f"{self.server}/readyz", ctx), deadline)

        kcm_kubeconfig = write_kubeconfig(
            d / "kube-controller-manager.kubeconfig",
            self.server,
            pki.ca_cert,
            pki.kcm_cert,
            pki.kcm_key,
            "system:kube-controller-manager",
        )
        kcm_port = free_port()
        self._spawn(
            "kube-controller-manager",
            [
                f"--kubeconfig={kcm_kubeconfig}",
                f"--authentication-kubeconfig={kcm_kubeconfig}",
                f"--authorization-kubeconfig={kcm_kubeconfig}",
                "--bind-address=127.0.0.1",
                f"--secure-port={kcm_port}",
                f"--cert-dir={d / 'kcm-certs'}",
                "--leader-elect=false",
                f"--controllers={','.join(CONTROLLERS)}",
                "--use-service-account-credentials=true",
                f"--service-account-private-key-file={pki.sa_key}",
                f"--root-ca-file={pki.ca_cert}",
                "--kube-api-qps=200",
                "--kube-api-burst=400",
                f"--v={self.log_level}",
            ],
        )
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE  # its self-signed serving cert; only /healthz
        self._wait(
            "kube-controller-manager",
            lambda: _http_ok(f"https://127.0.0.1:{kcm_port}/healthz", insecure),
            deadline,
        )

    def stop(self) -> None:
        """Stop all processes (controller manager, apiserver, then etcd) and remove the state."""
        if self._stopped:
            return
        self._stopped = True
        for proc in reversed(self._procs):
            _terminate_group(proc.popen.pid, str(self.state_dir))
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=5)
        self._procs.clear()
        if self.state_dir is not None and self._own_state_dir and not self.keep_state_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- helpers -----------------------------------------------------------------------------

    def _spawn(self, name: str, args: list[str]) -> None:
        assert self.state_dir is not None
        log = self.state_dir / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(
                [str(self.bin_dir / name), *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.state_dir,
                start_new_session=True,  # own process group: killed as a whole
                preexec_fn=None if self.detached else _die_with_parent,  # noqa: PLW1509
                env={**os.environ, "GOMAXPROCS": os.environ.get("GOMAXPROCS", "2")},
            )
        self._procs.append(_Proc(name, popen, log))
        self._write_state()

    def _wait(self, name: str, ready: Callable[[], bool], deadline: float) -> None:
        proc = next(p for p in self._procs if p.name == name)
        while True:
            if proc.popen.poll() is not None:
                raise ControlPlaneError(
                    f"{name} exited with {proc.popen.returncode} during start-up; "
                    f"log tail:\n{tail(proc.log)}"
                )
            if ready():
                self.ready_after[name] = round(time.monotonic() - self._started, 2)
                return
            if time.monotonic() > deadline:
                raise ControlPlaneError(f"{name} not ready in time; log tail:\n{tail(proc.log)}")
            time.sleep(0.1)

    def _write_state(self) -> None:
        assert self.state_dir is not None
        state = {
            "server": self.server,
            "kubeconfig": str(self.kubeconfig),
            "bin_dir": str(self.bin_dir),
            "pids": {p.name: p.popen.pid for p in self._procs},
            "startup_seconds": round(self.startup_seconds, 2),
            "ready_after": self.ready_after,
        }
        (self.state_dir / STATE_FILE).write_text(json.dumps(state, indent=2))

    def ssl_context(self) -> ssl.SSLContext:
        """A client TLS context trusting the cluster CA, authenticated as the admin."""
        ctx = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        ctx.load_cert_chain(str(self.pki.admin_cert), str(self.pki.admin_key))
        return ctx

    def logs(self) -> dict[str, Path]:
        return {p.name: p.log for p in self._procs}

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """Environment for subprocesses (kubectl, helm, the operator) that talk to this cluster."""
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig), **(extra or {})}

    def kubectl(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        timeout: float = 60,
        kubeconfig: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the kubectl built with the control plane against it (as the admin by default)."""
        config = kubeconfig or self.kubeconfig
        result = subprocess.run(
            [str(self.bin_dir / "kubectl"), f"--kubeconfig={config}", *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise subprocess.CalledProcessError(
                result.returncode, result.args, result.stdout, result.stderr
            )
        return result

    def token_kubeconfig(self, path: Path, token: str, user: str = "token-user") -> Path:
        """Write a kubeconfig that authenticates with a bearer token (e.g. a ServiceAccount's)."""
        config = yaml.safe_load(self.kubeconfig.read_text())
        config["users"] = [{"name": user, "user": {"token": token}}]
        config["contexts"][0]["context"]["user"] = user
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        path.chmod(0o600)
        return path

    def api_client(self) -> Any:
        """A ``kubernetes.client.ApiClient`` for the admin user."""
        from kubernetes import config

        return config.new_client_from_config(config_file=str(self.kubeconfig))


def _http_ok(url: str, context: ssl.SSLContext | None = None) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2, context=context) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --------------------------------------------------------------------------------------------
# CLI: make cluster-up / cluster-down
# --------------------------------------------------------------------------------------------


def _running(state_dir: Path) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads((state_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    pids = state.get("pids", {})
    alive = all(
        _pid_alive(int(pid)) and str(state_dir) in _cmdline(int(pid)) for pid in pids.values()
    )
    return state if pids and alive else None


def cluster_up(state_dir: Path, bin_dir: Path | None) -> int:
    state_dir = state_dir.resolve()
    if (state := _running(state_dir)) is not None:
        print(f"# control plane already running at {state['server']}", file=sys.stderr)
        print(f"export KUBECONFIG={state['kubeconfig']}")
        return 0
    cluster_down(state_dir)  # a half-dead previous one
    cp = ControlPlane(bin_dir=find_bin_dir(bin_dir), state_dir=state_dir, detached=True)
    try:
        cp.start()
    except ControlPlaneError as exc:
        print(f"cluster-up: {exc}", file=sys.stderr)
        shutil.rmtree(state_dir, ignore_errors=True)
        return 1
    print(
        f"# control plane up in {cp.startup_seconds:.1f}s at {cp.server} "
        f"(logs in {state_dir}); stop it with `make cluster-down`",
        file=sys.stderr,
    )
    print(f"export KUBECONFIG={cp.kubeconfig}")
    return 0


def cluster_down(state_dir: Path) -> int:
    state_dir = state_dir.resolve()
    if not state_dir.exists():
        return 0
    _stop_from_state(state_dir)
    shutil.rmtree(state_dir, ignore_errors=True)
    print(f"# control plane in {state_dir} stopped", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.integration.controlplane")
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument(
        "--state-dir", type=Path, default=cache_dir() / "cluster", help="certs, data, logs"
    )
    parser.add_argument("--bin-dir", type=Path, default=None, help="the Kubernetes binaries")
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            return cluster_up(args.state_dir, args.bin_dir)
        if args.command == "down":
            return cluster_down(args.state_dir)
        state = _running(args.state_dir.resolve())
        if state is None:
            print("not running", file=sys.stderr)
            return 1
        print(f"export KUBECONFIG={state['kubeconfig']}")
        return 0
    except BinariesMissingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
