#!/usr/bin/env bash
# Write InvoiceFlow's environment file from AWS SSM Parameter Store (default) or Secrets Manager.
#
#   docker/fetch-secrets.sh                       # SSM: every parameter under $INVOICEFLOW_SSM_PATH
#   INVOICEFLOW_SECRET_ID=invoiceflow/prod docker/fetch-secrets.sh   # Secrets Manager JSON object
#
# SSM: one parameter per variable, named <path>/<VARIABLE>, e.g. /invoiceflow/prod/DATABASE_URL
# (SecureString for secrets, String for the rest). Secrets Manager: one secret whose SecretString
# is a JSON object {"DATABASE_URL": "...", ...}. Both can be combined (Secrets Manager wins).
# The file is written atomically, mode 0600, for `docker compose --env-file`; values are
# single-quoted so compose takes them literally ($, #, spaces). Credentials come from the EC2
# instance role (docs/deploy-ec2.md lists the IAM policy); nothing is printed but variable names.
set -euo pipefail

ssm_path="${INVOICEFLOW_SSM_PATH:-/invoiceflow/prod}"
secret_id="${INVOICEFLOW_SECRET_ID:-}"
out="${INVOICEFLOW_ENV_FILE:-/etc/invoiceflow/invoiceflow.env}"
region_args=()
if [ -n "${AWS_REGION:-}" ]; then
  region_args=(--region "$AWS_REGION")
fi

die() { echo "fetch-secrets: $*" >&2; exit 1; }
command -v aws >/dev/null || die "aws cli not found (install AWS CLI v2)"

declare -A values=()

add() {  # add NAME VALUE: validate and keep one variable
  local name="$1" value="$2"
  [[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "invalid variable name '$name'"
  case "$value" in
    *"'"* | *$'\n'* | *$'\r'*) die "$name contains a quote or a line break; store it without" ;;
  esac
  values["$name"]="$value"
}

if [ "${INVOICEFLOW_SKIP_SSM:-0}" != "1" ]; then
  ssm_out="$(aws "${region_args[@]}" ssm get-parameters-by-path --path "$ssm_path" --recursive \
    --with-decryption --query 'Parameters[].[Name,Value]' --output text)" \
    || die "cannot read SSM parameters under $ssm_path (instance role needs ssm:GetParametersByPath and kms:Decrypt)"
  while IFS=$'\t' read -r name value; do
    [ -n "$name" ] || continue
    add "${name##*/}" "$value"
  done <<<"$ssm_out"
fi

if [ -n "$secret_id" ]; then
  secret_json="$(aws "${region_args[@]}" secretsmanager get-secret-value --secret-id "$secret_id" \
    --query SecretString --output text)" \
    || die "cannot read secret $secret_id (instance role needs secretsmanager:GetSecretValue)"
  pairs="$(python3 -c '
import json, sys
data = json.loads(sys.stdin.read())
if not isinstance(data, dict):
    sys.exit("the secret must be a JSON object of VARIABLE: value")
for key, value in data.items():
    print(f"{key}\t{value}")
' <<<"$secret_json")" || die "secret $secret_id is not a JSON object"
  while IFS=$'\t' read -r name value; do
    [ -n "$name" ] || continue
    add "$name" "$value"
  done <<<"$pairs"
fi

[ "${#values[@]}" -gt 0 ] || die "no parameters found under $ssm_path${secret_id:+ or in $secret_id}"
for required in DATABASE_URL INVOICEFLOW_DOMAIN INVOICEFLOW_ACME_EMAIL; do
  [ -n "${values[$required]:-}" ] || die "$required is missing (add ${ssm_path}/${required})"
done

umask 077
mkdir -p "$(dirname "$out")"
tmp="$(mktemp "${out}.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
{
  echo "# Written by docker/fetch-secrets.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ); do not edit."
  for name in $(printf '%s\n' "${!values[@]}" | sort); do
    printf "%s='%s'\n" "$name" "${values[$name]}"
  done
} >"$tmp"
chmod 0600 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
echo "fetch-secrets: wrote ${#values[@]} variables to $out: $(printf '%s\n' "${!values[@]}" | sort | paste -sd' ')"
