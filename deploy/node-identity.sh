#!/usr/bin/env bash
# Gives a virtual node its own identity: a client certificate for user system:node:<name> in group
# system:nodes, signed by the cluster through a CertificateSigningRequest (signer
# kubernetes.io/kube-apiserver-client-kubelet, approved here), and writes a kubeconfig that uses it.
# With that identity the Node authorizer and the NodeRestriction admission plugin limit the agent to
# its own Node, its Lease, the pods bound to it and the Secrets/ConfigMaps those pods use.
#
# usage: deploy/node-identity.sh <node-name> <kubeconfig-out> [--secret <namespace>/<name>] [--days <n>]
#   --secret   also store the kubeconfig (key "kubeconfig") in that Secret, for an in-cluster Deployment
#   --days     certificate lifetime (default 365; the signer may cap it); run again before it expires
# Needs openssl and kubectl ($KUBECTL, default kubectl) allowed to create and approve CSRs; the
# cluster's server and CA come from kubectl's current context.
set -euo pipefail
usage() { sed -n 's/^# \{0,1\}//;/^usage:/,/^Needs/p' "$0" | sed '$d' >&2; exit 2; }
[ $# -ge 2 ] || usage
node=$1 out=$2
shift 2
secret="" days=365
while [ $# -gt 0 ]; do
  case $1 in
    --secret) secret=${2:?--secret needs <namespace>/<name>}; shift 2 ;;
    --days) days=${2:?--days needs a number}; shift 2 ;;
    *) echo "node-identity.sh: unknown argument $1" >&2; usage ;;
  esac
done
[[ $node =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]] || { echo "node-identity.sh: \"$node\" is not a valid node name" >&2; exit 2; }
[[ $days =~ ^[0-9]+$ ]] && [ "$days" -gt 0 ] || { echo "node-identity.sh: --days must be a positive number" >&2; exit 2; }
if [ -n "$secret" ] && [[ $secret != */* ]]; then echo "node-identity.sh: --secret needs <namespace>/<name>" >&2; exit 2; fi
kubectl=${KUBECTL:-kubectl}

work=$(mktemp -d)
csr_name="vkubelet-node-${node}-$(date +%s)"
trap 'rm -rf "$work"; "$kubectl" delete csr "$csr_name" --ignore-not-found >/dev/null 2>&1 || true' EXIT
umask 077

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/key.pem" 2>/dev/null
openssl req -new -key "$work/key.pem" -subj "/O=system:nodes/CN=system:node:${node}" -out "$work/csr.pem"
"$kubectl" create -f - >/dev/null <<YAML
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: ${csr_name}
  labels: { app.kubernetes.io/managed-by: vkubelet-node-identity }
spec:
  signerName: kubernetes.io/kube-apiserver-client-kubelet
  usages: [digital signature, client auth]
  expirationSeconds: $((days * 86400))
  request: $(base64 -w0 <"$work/csr.pem")
YAML
"$kubectl" certificate approve "$csr_name" >/dev/null
cert=""
for _ in $(seq 1 120); do
  cert=$("$kubectl" get csr "$csr_name" -o 'jsonpath={.status.certificate}')
  [ -n "$cert" ] && break
  sleep 0.5
done
[ -n "$cert" ] || { echo "node-identity.sh: CSR $csr_name was approved but not signed within 60 s (is the controller-manager's signer configured?)" >&2; exit 1; }

server=$("$kubectl" config view --minify -o 'jsonpath={.clusters[0].cluster.server}')
ca=$("$kubectl" config view --minify --raw -o 'jsonpath={.clusters[0].cluster.certificate-authority-data}')
if [ -z "$ca" ]; then
  ca_file=$("$kubectl" config view --minify -o 'jsonpath={.clusters[0].cluster.certificate-authority}')
  [ -n "$ca_file" ] && ca=$(base64 -w0 <"$ca_file")
fi
cat >"$out" <<YAML
apiVersion: v1
kind: Config
clusters:
  - name: cluster
    cluster:
      server: ${server}
$([ -n "$ca" ] && echo "      certificate-authority-data: ${ca}")
users:
  - name: system:node:${node}
    user:
      client-certificate-data: ${cert}
      client-key-data: $(base64 -w0 <"$work/key.pem")
contexts:
  - name: ${node}
    context: { cluster: cluster, user: 'system:node:${node}' }
current-context: ${node}
YAML
echo "wrote $out: system:node:${node}, valid until $(base64 -d <<<"$cert" | openssl x509 -noout -enddate | cut -d= -f2)" >&2

if [ -n "$secret" ]; then
  "$kubectl" -n "${secret%%/*}" create secret generic "${secret#*/}" --from-file=kubeconfig="$out" \
    --dry-run=client -o yaml | "$kubectl" apply -f - >/dev/null
  echo "stored it in Secret $secret (key kubeconfig)" >&2
fi
