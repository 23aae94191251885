#!/usr/bin/env bash
# monohub "script" spawner: one EC2 instance per user server, with the AWS CLI
# (the way cloudJHub gives each user a VM).
#
# Config: see examples/script-spawner-aws.json, with a start timeout of ~300 s
# (instances take minutes to boot).
# Needs: aws CLI v2 with credentials (instance role or AWS_PROFILE), jq.
# The AMI must have jupyterhub-singleuser installed. The instance's security group must let the
# hub reach port $PORT, and the instance must reach MONOHUB_HUB_URL (the hub's API, for OAuth).
# Note: EC2 user data (which carries the server's API token here) can be read by IAM principals
# allowed ec2:DescribeInstanceAttribute and from inside the VM via the metadata service.
#
# Protocol: monohub writes a JSON request to stdin and reads JSON from stdout
#   start → {"url": "http://<ip>:<port>", "state": {...}}  (progress lines before it)
#   poll  → {"status": "running" | "stopped"}
#   stop  → exit 0 once stopped
set -euo pipefail
action="${1:?usage: $0 start|poll|stop}"
input="$(cat)"
PORT="${MONOHUB_AWS_PORT:-8888}"

progress() { jq -cn --argjson p "$1" --arg m "$2" '{progress: $p, message: $m}'; }

case "$action" in
start)
  user=$(jq -r .user <<<"$input")
  server=$(jq -r .server_name <<<"$input")
  base_url=$(jq -r .base_url <<<"$input")
  type=$(jq -r '.options.instance_type // empty' <<<"$input")
  type="${type:-${MONOHUB_AWS_TYPE:-t3.medium}}"
  # The hub's env points at 127.0.0.1; the VM must use the hub's address instead.
  envfile=$(jq -r --arg hub "$MONOHUB_HUB_URL" --arg svc "http://0.0.0.0:$PORT$base_url" '
      .env
      | .JUPYTERHUB_API_URL = ($hub + "/hub/api")
      | .JUPYTERHUB_ACTIVITY_URL = ($hub + "/hub/api/users/" + .JUPYTERHUB_USER + "/activity")
      | .JUPYTERHUB_SERVICE_URL = $svc
      | to_entries[] | "\(.key)=\(.value | @sh)"' <<<"$input")
  userdata=$(mktemp); trap 'rm -f "$userdata"' EXIT
  cat >"$userdata" <<USERDATA
#!/bin/bash
useradd --create-home jovyan || true
cat >/etc/jupyter-user.env <<'ENV'
$envfile
ENV
chmod 600 /etc/jupyter-user.env
systemd-run --unit jupyter-user --uid jovyan --working-directory /home/jovyan \
  -p EnvironmentFile=/etc/jupyter-user.env jupyterhub-singleuser --ip=0.0.0.0 --port=$PORT
USERDATA
  progress 20 "Launching a $type instance"
  id=$(aws ec2 run-instances --image-id "$MONOHUB_AWS_AMI" --instance-type "$type" \
        --subnet-id "$MONOHUB_AWS_SUBNET" --security-group-ids "$MONOHUB_AWS_SG" \
        --user-data "file://$userdata" \
        --tag-specifications "ResourceType=instance,Tags=[{Key=Name,Value=monohub-$user${server:+-$server}},{Key=monohub-user,Value=$user}]" \
        --query 'Instances[0].InstanceId' --output text)
  echo "launched $id for $user" >&2
  progress 50 "Waiting for instance $id to run"
  aws ec2 wait instance-running --instance-ids "$id"
  ip=$(aws ec2 describe-instances --instance-ids "$id" \
        --query 'Reservations[0].Instances[0].PrivateIpAddress' --output text)
  progress 70 "Instance $id is running at $ip; waiting for Jupyter"
  jq -n --arg url "http://$ip:$PORT" --arg id "$id" '{url: $url, state: {instance_id: $id}}'
  ;;
poll)
  id=$(jq -r .state.instance_id <<<"$input")
  state=$(aws ec2 describe-instances --instance-ids "$id" \
           --query 'Reservations[0].Instances[0].State.Name' --output text 2>/dev/null || echo gone)
  case "$state" in
    pending|running) echo '{"status": "running"}' ;;
    *)               echo '{"status": "stopped"}' ;;
  esac
  ;;
stop)
  id=$(jq -r .state.instance_id <<<"$input")
  aws ec2 terminate-instances --instance-ids "$id" >/dev/null 2>&1 || exit 0   # already gone
  aws ec2 wait instance-terminated --instance-ids "$id"
  ;;
*) echo "unknown action $action" >&2; exit 64 ;;
esac
