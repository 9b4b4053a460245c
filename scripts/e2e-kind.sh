#!/usr/bin/env bash
# End-to-end root rotation of a real Istio mesh on a local kind cluster.
#
# NOT RUN HERE: the build machines have no Docker engine, so this script has never been executed as part of the
# build or by its author. It is written for users with Docker, kind, kubectl, istioctl and the `rotation` CLI on PATH.
# Its commands are the CLI's real spellings (`rotation cluster add NAME --domain D --kubeconfig FILE --context CTX
# --target istio`, `rotation rotate root --max-leaf-ttl ... --leaf-grace ...`, `rotation resume ID --wait DURATION`,
# `rotation status ID --json`); the same sequence runs in CI against the simulated cluster
# (tests/Rotation.Cli.Tests/ClusterRotationTests.cs), but never against a real Istio.
# Read it before running it; it creates and (unless KEEP_CLUSTER=1) deletes a kind cluster named $CLUSTER.
#
# What it does:
#   1. creates a kind cluster and a Rotation trust domain (root A + intermediate A);
#   2. plugs intermediate A into Istio as the `cacerts` secret and installs Istio with ISTIO_MULTIROOT_MESH=true
#      (and PROXY_CONFIG_XDS_AGENT=true, so proxies take new roots without a restart);
#   3. deploys two workloads (sleep -> httpbin) with STRICT mTLS and checks traffic;
#   4. registers the cluster with Rotation and runs `rotation rotate root`, approving the point of no return,
#      checking sleep -> httpbin after every phase with curl.
#
# Environment: CLUSTER (rotation-e2e), DOMAIN (mesh.e2e.internal), ISTIO_VERSION (whatever istioctl installs),
#              ROTATION_HOME (a temp dir), KEEP_CLUSTER (0), LEAF_TTL (10m: Istio's default workload TTL is 24h;
#              Istio leaves are not observable through the API, so the leaf gate waits --max-leaf-ttl + --leaf-grace
#              after the issuer switch; the script shortens the TTL to keep the run short), LEAF_GRACE (2m).
set -euo pipefail

CLUSTER="${CLUSTER:-rotation-e2e}"
DOMAIN="${DOMAIN:-mesh.e2e.internal}"
KEEP_CLUSTER="${KEEP_CLUSTER:-0}"
LEAF_TTL="${LEAF_TTL:-10m}"
LEAF_GRACE="${LEAF_GRACE:-2m}"
export ROTATION_HOME="${ROTATION_HOME:-$(mktemp -d)}"
WORK="$(mktemp -d)"
KUBECONFIG_FILE="$WORK/kubeconfig"

log() { printf '\n== %s\n' "$*"; }
die() { printf 'e2e-kind: %s\n' "$*" >&2; exit 1; }

for tool in docker kind kubectl istioctl rotation curl python3; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not on PATH: install it first (this script needs Docker, kind, kubectl, istioctl and the rotation CLI)"
done
docker info >/dev/null 2>&1 || die "the Docker engine is not reachable: start Docker first"

cleanup() {
  if [[ "$KEEP_CLUSTER" != "1" ]]; then
    kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

k() { kubectl --kubeconfig "$KUBECONFIG_FILE" "$@"; }

# Traffic check: sleep calls httpbin over mTLS a few times; any failed handshake fails the script.
check_traffic() {
  local label="$1" ok=0
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    if k -n demo exec deploy/sleep -c sleep -- curl -sS -o /dev/null -w '%{http_code}' --max-time 5 http://httpbin.demo:8000/get | grep -q '^200$'; then
      ok=$((ok + 1))
    else
      die "traffic check '$label': request $attempt from sleep to httpbin failed"
    fi
  done
  echo "traffic check '$label': $ok/10 requests OK"
}

log "creating kind cluster $CLUSTER"
kind create cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG_FILE" --wait 120s

log "creating trust domain $DOMAIN (root A, intermediate A) in $ROTATION_HOME"
rotation init --domain "$DOMAIN"
rotation export istio --domain "$DOMAIN" --out "$WORK/cacerts"
k create namespace istio-system
k -n istio-system create secret generic cacerts --from-file="$WORK/cacerts"

log "installing Istio with multi-root support"
istioctl install --kubeconfig "$KUBECONFIG_FILE" -y \
  --set values.pilot.env.ISTIO_MULTIROOT_MESH=true \
  --set meshConfig.defaultConfig.proxyMetadata.PROXY_CONFIG_XDS_AGENT=true \
  --set meshConfig.defaultConfig.proxyMetadata.SECRET_TTL="$LEAF_TTL"
k -n istio-system rollout status deploy/istiod --timeout 180s

log "deploying sleep -> httpbin with STRICT mTLS"
k create namespace demo
k label namespace demo istio-injection=enabled
k apply -n demo -f - <<'YAML'
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default }
spec: { mtls: { mode: STRICT } }
---
apiVersion: v1
kind: Service
metadata: { name: httpbin, labels: { app: httpbin } }
spec:
  ports: [{ name: http, port: 8000, targetPort: 8080 }]
  selector: { app: httpbin }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: httpbin }
spec:
  replicas: 1
  selector: { matchLabels: { app: httpbin } }
  template:
    metadata: { labels: { app: httpbin } }
    spec:
      containers:
        - { name: httpbin, image: docker.io/mccutchen/go-httpbin:v2.15.0, ports: [{ containerPort: 8080 }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: sleep }
spec:
  replicas: 1
  selector: { matchLabels: { app: sleep } }
  template:
    metadata: { labels: { app: sleep } }
    spec:
      containers:
        - { name: sleep, image: curlimages/curl:8.10.1, command: ["/bin/sleep", "infinity"] }
YAML
k -n demo rollout status deploy/httpbin --timeout 180s
k -n demo rollout status deploy/sleep --timeout 180s
check_traffic "before rotation"

log "checking that every sidecar runs with PCDS (PROXY_CONFIG_XDS_AGENT=true), as article 003 sets it"
for pod in $(k get pods -A -l security.istio.io/tlsMode=istio -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{"\n"}{end}'); do
  value="$(k -n "${pod%%/*}" get pod "${pod##*/}" -o jsonpath='{.spec.containers[?(@.name=="istio-proxy")].env[?(@.name=="PROXY_CONFIG_XDS_AGENT")].value}')"
  [[ "$value" == "true" ]] || die "pod $pod runs its sidecar without PROXY_CONFIG_XDS_AGENT=true (found '$value')"
done

# What each meshed pod's Envoy trusts (ROOTCA validation context), read through the admin port as `istioctl
# proxy-config secret` does (article 003): SHA-256 fingerprints of the trusted roots. With a second argument N, every
# pod must trust exactly N roots (retried for a minute: a PCDS push takes a moment); without it the roots are printed.
trusted_cas() {
  local label="$1" expect="${2:-}" pod ns name attempt count
  for pod in $(k get pods -A -l security.istio.io/tlsMode=istio -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{"\n"}{end}'); do
    ns="${pod%%/*}"; name="${pod##*/}"
    for attempt in $(seq 1 12); do
      istioctl --kubeconfig "$KUBECONFIG_FILE" proxy-config secret "$name.$ns" -o json > "$WORK/secret.json" \
        || die "$label: cannot read the Envoy secrets of $pod"
      count="$(python3 - "$WORK/secret.json" "$label" "$pod" <<'PY'
import base64, hashlib, json, re, sys
dump = json.load(open(sys.argv[1]))
secrets = {s["name"]: s["secret"] for s in dump.get("dynamicActiveSecrets", [])}
ca = base64.b64decode(secrets["ROOTCA"]["validationContext"]["trustedCa"]["inlineBytes"]).decode()
ders = [base64.b64decode("".join(b.split())) for b in re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", ca, re.S)]
roots = sorted({hashlib.sha256(d).hexdigest()[:16] for d in ders})
print(f"{sys.argv[2]}: {sys.argv[3]} trusts", ", ".join(roots), file=sys.stderr)
print(len(roots))
PY
)"
      [[ -z "$expect" || "$count" == "$expect" ]] && break
      [[ "$attempt" == 12 ]] && die "$label: the Envoy of $pod trusts $count root(s), expected $expect"
      sleep 5
    done
  done
}
trusted_cas "before rotation"

log "registering the cluster with Rotation"
rotation cluster add "$CLUSTER" --domain "$DOMAIN" --kubeconfig "$KUBECONFIG_FILE" --context "kind-$CLUSTER" --target istio
rotation cluster check "$CLUSTER"

log "starting the root rotation"
# --approve-each-phase parks the rotation before every phase, so the script can check traffic between phases.
# --max-leaf-ttl/--leaf-grace must cover SECRET_TTL: the leaf gate waits that long after the issuer switch.
rotation rotate root --domain "$DOMAIN" --approve-each-phase --max-leaf-ttl "$LEAF_TTL" --leaf-grace "$LEAF_GRACE" --gate-retry 10s \
  | tee "$WORK/rotate.out"
ROTATION_ID="$(grep -o 'rot-[0-9]\{14\}-[0-9a-f]\{6\}' "$WORK/rotate.out" | head -n 1)"
[[ -n "$ROTATION_ID" ]] || die "could not read the rotation id from the output of 'rotation rotate root'"

for phase in Prepare DistributeTrust VerifyTrust SwitchIssuer VerifyLeaves RetireOldRoot VerifyRetired; do
  log "phase $phase"
  rotation approve "$ROTATION_ID" --phase "$phase"
  # --wait keeps driving through gate waits (trust propagation, the leaf TTL) until the next approval or the end.
  rotation resume "$ROTATION_ID" --wait 30m
  check_traffic "after $phase"
  # Once trust is distributed every Envoy trusts old and new root until the retirement; then only the new one.
  case "$phase" in
    DistributeTrust|VerifyTrust|SwitchIssuer|VerifyLeaves) trusted_cas "after $phase" 2 ;;
    VerifyRetired) trusted_cas "after $phase" 1 ;;
    *) trusted_cas "after $phase" ;;
  esac
done

rotation status "$ROTATION_ID"
# status --json prints the rotation record as one line of camelCase JSON; its top-level "status" is the first one.
STATUS="$(rotation status "$ROTATION_ID" --json | grep -o '"status":"[a-zA-Z]*"' | head -n 1)"
[[ "$STATUS" == '"status":"completed"' ]] || die "the rotation did not complete ($STATUS): see 'rotation status $ROTATION_ID'"

log "root-cert.pem now holds only the new root"
k -n istio-system get secret cacerts -o jsonpath='{.data.root-cert\.pem}' | base64 -d | grep -c 'BEGIN CERTIFICATE' | grep -qx 1 \
  || die "cacerts root-cert.pem still holds more than one root"
check_traffic "after rotation"
echo "e2e-kind: root rotation of $CLUSTER completed with traffic OK after every phase"
