#!/usr/bin/env bash
# Deploy drs-chatops (cfn/root.yaml and its nested stacks) to one environment.
#
#   scripts/deploy.sh <env> [--validate-only | --lambda-only] [--yes] [--params FILE]
#
#   (default)         cfn-lint, template checks, package, upload, `aws cloudformation package`,
#                     a change set you review and confirm, then the outputs and the Slack URLs
#   --validate-only   offline: cfn-lint, template checks, the parameters file (when there is one),
#                     a bundle built from the installed dependencies and its import check; no AWS
#   --lambda-only     package, upload and point the four functions at the new code (no stack change)
#   --yes             execute the change set without asking (CI)
#   --params FILE     parameters file (default deploy/<env>.env; see docs/deploy.md)
#
# The parameters file holds KEY=VALUE lines: DEPLOY_BUCKET (artifacts), the root template's
# parameters by name (CognitoUserPoolArn, SlackSecretArn, AlarmEmail, ...), optionally STACK_NAME
# and AWS_REGION. Exit codes: 0 done, 1 a step failed, 2 bad arguments or parameters,
# 3 the AWS CLI or credentials are missing, 4 the change set was not confirmed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${BUILD_DIR:-$ROOT/build}"
CAPABILITIES=(CAPABILITY_IAM CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND)
REQUIRED=(DEPLOY_BUCKET CognitoUserPoolArn SlackSecretArn)
FUNCTIONS=(api orchestrator bot notifier)

say() { printf '==> %s\n' "$*"; }
fail() { printf 'deploy.sh: %s\n' "$1" >&2; exit "${2:-1}"; }
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }

ENVIRONMENT="" MODE=deploy YES=0 PARAMS=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --validate-only) MODE=validate ;;
    --lambda-only) MODE=lambda ;;
    --yes|-y) YES=1 ;;
    --params) [[ $# -ge 2 ]] || fail "--params needs a file" 2; PARAMS="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) fail "unknown option $1 (see --help)" 2 ;;
    *) [[ -z "$ENVIRONMENT" ]] || fail "one environment only (got $ENVIRONMENT and $1)" 2; ENVIRONMENT="$1" ;;
  esac
  shift
done
[[ -n "$ENVIRONMENT" ]] || { usage >&2; fail "name the environment, e.g. scripts/deploy.sh dev" 2; }
[[ "$ENVIRONMENT" =~ ^[a-z0-9-]{1,16}$ ]] || fail "environment '$ENVIRONMENT': use 1-16 of a-z, 0-9, -" 2

# --- the project's Python: $PYTHON, else .venv (made on first use, as every make target does) ---
if [[ -z "${PYTHON:-}" ]]; then
  PYTHON="$ROOT/.venv/bin/python"
  if [[ ! -x "$PYTHON" ]]; then
    say "no .venv yet: creating it with the project's dependencies (make .venv/.installed)"
    command -v make >/dev/null \
      || fail "no .venv and no make: python3 -m venv .venv && .venv/bin/pip install -e '.[dev]', then rerun" 1
    make -C "$ROOT" .venv/.installed \
      || fail "could not create .venv (make .venv/.installed failed, see above); then rerun, or: make validate" 1
  fi
fi
[[ -x "$PYTHON" ]] || fail "PYTHON=$PYTHON is not an executable Python" 2
"$PYTHON" -c 'import boto3, pydantic, slack_bolt, slack_sdk, aws_lambda_powertools, jinja2' 2>/dev/null \
  || fail "$PYTHON lacks the project's dependencies: run make validate (it creates .venv), or pip install -e '.[dev]' into that Python" 1
export PYTHON  # scripts/package.sh uses the same one
BIN="$(dirname "$PYTHON")"

# --- parameters -------------------------------------------------------------------------------
declare -A P=()
PARAMS="${PARAMS:-$ROOT/deploy/$ENVIRONMENT.env}"
if [[ -f "$PARAMS" ]]; then
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    [[ "$line" =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || fail "$PARAMS: not KEY=VALUE: $line" 2
    value="${BASH_REMATCH[2]}"; value="${value%\"}"; value="${value#\"}"
    P["${BASH_REMATCH[1]}"]="$value"
  done <"$PARAMS"
elif [[ $MODE != validate ]]; then
  fail "no parameters file $PARAMS: copy docs/deploy-params.example.env there and fill it in (or pass --params FILE)" 2
fi
check_parameters() {
  local missing=() key
  for key in "${REQUIRED[@]}"; do [[ -n "${P[$key]:-}" ]] || missing+=("$key"); done
  [[ ${#missing[@]} -eq 0 ]] || fail "$PARAMS is missing ${missing[*]} (see docs/deploy.md)" 2
  [[ "${P[CognitoUserPoolArn]}" =~ ^arn:aws[a-z-]*:cognito-idp: ]] || fail "CognitoUserPoolArn is not a user pool ARN" 2
  [[ "${P[SlackSecretArn]}" =~ ^arn:aws[a-z-]*:secretsmanager: ]] || fail "SlackSecretArn is not a Secrets Manager ARN" 2
  # read once, not piped into grep -q: with pipefail, grep leaving early would fail the pipe
  local declared
  declared=$(sed -n '/^Parameters:/,/^Resources:/p' "$ROOT/cfn/root.yaml")
  for key in "${!P[@]}"; do
    [[ "$key" =~ ^[A-Z][a-z] ]] || continue
    grep -qE "^  $key:" <<<"$declared" \
      || fail "$PARAMS: $key is not a parameter of cfn/root.yaml" 2
  done
  [[ "${P[Environment]:-$ENVIRONMENT}" == "$ENVIRONMENT" ]] || fail "$PARAMS sets Environment=${P[Environment]}, not $ENVIRONMENT" 2
  [[ -n "${P[AlarmEmail]:-}" ]] || say "note: no AlarmEmail: alarms reach the operational-alerts topic, nobody is subscribed"
}
if [[ -f "$PARAMS" ]]; then check_parameters; say "parameters: $PARAMS"
else say "parameters: no $PARAMS (not checked)"; fi
PROJECT="${P[ProjectName]:-drs-chatops}"
STACK="${P[STACK_NAME]:-$PROJECT-$ENVIRONMENT}"
[[ -n "${P[AWS_REGION]:-}" ]] && export AWS_REGION="${P[AWS_REGION]}" AWS_DEFAULT_REGION="${P[AWS_REGION]}"

if [[ $MODE != validate ]]; then
  # --- AWS CLI and credentials first: fail before the slow steps ------------------------------------
  command -v aws >/dev/null 2>&1 \
    || fail "the AWS CLI is not on PATH: install it (https://aws.amazon.com/cli/) or use --validate-only" 3
  ACCOUNT="$(aws sts get-caller-identity --query Account --output text 2>/dev/null)" \
    || fail "no usable AWS credentials (aws sts get-caller-identity failed): set AWS_PROFILE or run aws configure / aws sso login" 3
  REGION="$(aws configure get region 2>/dev/null || true)"; REGION="${AWS_REGION:-${REGION:-}}"
  [[ -n "$REGION" ]] || fail "no AWS region: set AWS_REGION in $PARAMS or the environment" 2
  say "account $ACCOUNT, region $REGION, stack $STACK"
fi

# --- offline checks -----------------------------------------------------------------------------
if [[ $MODE != lambda ]]; then
  say "cfn-lint cfn/*.yaml"
  CFN_LINT="$BIN/cfn-lint"; [[ -x "$CFN_LINT" ]] || CFN_LINT="$(command -v cfn-lint || true)"
  [[ -n "$CFN_LINT" ]] || fail "cfn-lint is not installed: make test (or pip install cfn-lint)" 1
  (cd "$ROOT" && "$CFN_LINT" cfn/*.yaml) || fail "cfn-lint found problems" 1
  say "template checks (tests/unit/test_templates_*.py: IAM, nested-stack parameters, settings, resources)"
  (cd "$ROOT" && "$PYTHON" -m pytest -q -p no:cacheprovider -p no:logging tests/unit/test_templates_*.py) \
    || fail "template checks failed" 1
fi

BUNDLE="$BUILD/lambda/bundle.zip"
if [[ $MODE == validate ]]; then
  say "package (offline, from the installed dependencies, host platform; a deploy builds for Lambda)"
  "$ROOT/scripts/package.sh" --from-installed --out "$BUILD/validate/bundle.zip"
  say "validated: templates, parameters, bundle. Nothing was sent to AWS."
  exit 0
fi


# --- AWS ------------------------------------------------------------------------------------------
say "package (pip wheels for the Lambda platform)"
"$ROOT/scripts/package.sh" --out "$BUNDLE"
SHA="$(cat "$BUNDLE.sha256")"
BUCKET="${P[DEPLOY_BUCKET]}"
CODE_KEY="$PROJECT/$ENVIRONMENT/lambda/$SHA.zip"
if aws s3api head-object --bucket "$BUCKET" --key "$CODE_KEY" >/dev/null 2>&1; then
  say "s3://$BUCKET/$CODE_KEY already uploaded"
else
  aws s3 cp --only-show-errors "$BUNDLE" "s3://$BUCKET/$CODE_KEY" || fail "upload to s3://$BUCKET failed" 1
fi

if [[ $MODE == lambda ]]; then
  for fn in "${FUNCTIONS[@]}"; do
    name="$PROJECT-$fn-$ENVIRONMENT"
    say "update $name"
    aws lambda update-function-code --function-name "$name" --s3-bucket "$BUCKET" --s3-key "$CODE_KEY" \
      --query LastModified --output text || fail "could not update $name (is the stack deployed?)" 1
  done
  say "code updated; the stack still names the previous CodeKey until the next full deploy"
  exit 0
fi

mkdir -p "$BUILD"
PACKAGED="$BUILD/root.packaged.$ENVIRONMENT.yaml"
say "aws cloudformation package"
aws cloudformation package --template-file "$ROOT/cfn/root.yaml" --s3-bucket "$BUCKET" \
  --s3-prefix "$PROJECT/$ENVIRONMENT/cfn" --output-template-file "$PACKAGED" >/dev/null

OVERRIDES=("Environment=$ENVIRONMENT" "CodeBucket=$BUCKET" "CodeKey=$CODE_KEY")
for key in "${!P[@]}"; do
  [[ "$key" =~ ^[A-Z][a-z] ]] && [[ "$key" != Environment ]] && OVERRIDES+=("$key=${P[$key]}")
done
say "change set for $STACK"
OUTPUT="$(aws cloudformation deploy --template-file "$PACKAGED" --stack-name "$STACK" \
  --capabilities "${CAPABILITIES[@]}" --parameter-overrides "${OVERRIDES[@]}" \
  --no-execute-changeset --no-fail-on-empty-changeset 2>&1)" || { echo "$OUTPUT" >&2; fail "change set failed" 1; }
CHANGE_SET="$(grep -oE 'arn:aws[a-z-]*:cloudformation:[^ ]+:changeSet/[^ ]+' <<<"$OUTPUT" | head -1 || true)"
if [[ -z "$CHANGE_SET" ]]; then
  say "no changes to deploy"
else
  aws cloudformation describe-change-set --change-set-name "$CHANGE_SET" \
    --query 'Changes[].ResourceChange.[Action,LogicalResourceId,ResourceType,Replacement]' --output table
  if [[ $YES != 1 ]]; then
    [[ -t 0 ]] || fail "not executing $CHANGE_SET without confirmation: run interactively or pass --yes" 4
    read -r -p "Execute this change set? [y/N] " answer
    [[ "$answer" =~ ^[Yy] ]] || fail "change set left unexecuted: $CHANGE_SET" 4
  fi
  STATUS="$(aws cloudformation describe-stacks --stack-name "$STACK" --query 'Stacks[0].StackStatus' --output text)"
  WAITER=stack-update-complete; [[ "$STATUS" == REVIEW_IN_PROGRESS ]] && WAITER=stack-create-complete
  aws cloudformation execute-change-set --change-set-name "$CHANGE_SET"
  say "waiting for $STACK ($WAITER)"
  aws cloudformation wait "$WAITER" --stack-name "$STACK" \
    || fail "the stack did not finish: see its events in the CloudFormation console (a failed update rolls back by itself)" 1
fi

if [[ -n "$CHANGE_SET" ]]; then
  # CloudFormation creates an AWS::ApiGateway::Deployment once and leaves it alone on updates, so
  # routes or integrations changed by an upgrade would not go live: snapshot the API again for
  # both stages (the api stack's and the bot stack's Slack stage).
  REST_API="$(aws cloudformation describe-stacks --stack-name "$STACK" \
    --query "Stacks[0].Outputs[?OutputKey=='RestApiId'].OutputValue" --output text)"
  for STAGE in "$ENVIRONMENT" "$ENVIRONMENT-slack"; do
    aws apigateway create-deployment --rest-api-id "$REST_API" --stage-name "$STAGE" \
      --description "scripts/deploy.sh $(date -u +%Y-%m-%dT%H:%M:%SZ)" >/dev/null
    say "API stage $STAGE redeployed"
  done
fi

aws cloudformation describe-stacks --stack-name "$STACK" --query 'Stacks[0].Outputs' --output table
SLACK_URL="$(aws cloudformation describe-stacks --stack-name "$STACK" \
  --query "Stacks[0].Outputs[?OutputKey=='SlackEventsUrl'].OutputValue" --output text)"
MANIFEST="$BUILD/slack-app-manifest.$ENVIRONMENT.yaml"
sed -E "s#https://EXAMPLE[^ ]*/slack/events#$SLACK_URL#; s#command: /dr#command: ${P[SlackCommand]:-/dr}#" \
  "$ROOT/slack-app-manifest.yaml" >"$MANIFEST"
cat <<EOF

Slack app (https://api.slack.com/apps): paste these, or create the app from $MANIFEST
  Slash command ${P[SlackCommand]:-/dr} Request URL:  $SLACK_URL
  Interactivity Request URL:       $SLACK_URL
EOF
