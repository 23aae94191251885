/**
 * examples/aws-ec2-spawner.sh with the script spawner, against a fake `aws`
 * CLI on PATH (no cloud): start launches an instance with the options'
 * instance type and user data that runs jupyterhub-singleuser with the hub's
 * environment pointed at the hub's address, and answers the instance's URL;
 * poll follows the instance state; stop terminates it.
 */
import t from 'tap'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { existsSync } from 'node:fs'
import { scriptSpawner } from '../../src/spawn/spawners/script.ts'
import type { Progress } from '../../src/spawn/spawner.ts'

const example = path.resolve(import.meta.dirname, '../../examples/aws-ec2-spawner.sh')
const skip = existsSync('/usr/bin/jq') || existsSync('/usr/local/bin/jq') ? false : 'needs jq (apt-get install jq), as the example does'

/** A stand-in for the AWS CLI: records each call, keeps the user data, knows one instance. */
const fakeAws = `#!/usr/bin/env bash
echo "$*" >> "$FAKE_AWS_DIR/calls"
state_file="$FAKE_AWS_DIR/state"
case "$1 $2" in
  "ec2 run-instances")
    for arg in "$@"; do case "$arg" in file://*) cp "\${arg#file://}" "$FAKE_AWS_DIR/userdata" ;; esac; done
    echo running > "$state_file"; echo i-0abc ;;
  "ec2 wait") ;;
  "ec2 describe-instances")
    case "$*" in *PrivateIpAddress*) echo 10.1.2.3 ;; *State.Name*) cat "$state_file" ;; esac ;;
  "ec2 terminate-instances") echo terminated > "$state_file" ;;
  *) echo "fake aws: unexpected $*" >&2; exit 2 ;;
esac
`

t.test('the AWS example starts, polls and stops an instance through the script spawner', { skip }, async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'monohub-aws-'))
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }))
  await fs.mkdir(path.join(dir, 'bin'))
  await fs.writeFile(path.join(dir, 'bin', 'aws'), fakeAws, { mode: 0o755 })
  const spawner = scriptSpawner({
    start: [example, 'start'], poll: [example, 'poll'], stop: [example, 'stop'],
    env: { PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`, FAKE_AWS_DIR: dir, MONOHUB_HUB_URL: 'http://10.0.0.2:8000', MONOHUB_AWS_AMI: 'ami-1', MONOHUB_AWS_SUBNET: 'subnet-1', MONOHUB_AWS_SG: 'sg-1' },
  })
  const progress: Progress[] = []
  const env = {
    JUPYTERHUB_API_TOKEN: 'secret-token', JUPYTERHUB_API_URL: 'http://127.0.0.1:8000/hub/api', JUPYTERHUB_USER: 'alice',
    JUPYTERHUB_ACTIVITY_URL: 'http://127.0.0.1:8000/hub/api/users/alice/activity', JUPYTERHUB_SERVICE_PREFIX: '/user/alice/',
  }
  const result = await spawner.start({
    user: 'alice', serverName: '', baseUrl: '/user/alice/', env, options: { instance_type: 't3.xlarge' },
    workDir: path.join(dir, 'work'), logFile: path.join(dir, 'alice.log'), signal: AbortSignal.timeout(20_000),
  }, (p) => progress.push(p))
  t.equal(result.url, 'http://10.1.2.3:8888', 'the instance\'s address and the Jupyter port')
  t.same(result.state, { instance_id: 'i-0abc' })
  t.ok(progress.some((p) => /Launching a t3.xlarge instance/.test(p.message)), 'progress lines reach the hub')
  const calls = await fs.readFile(path.join(dir, 'calls'), 'utf8')
  t.match(calls, /run-instances --image-id ami-1 --instance-type t3\.xlarge --subnet-id subnet-1 --security-group-ids sg-1/, 'the options\' instance type')
  const userdata = await fs.readFile(path.join(dir, 'userdata'), 'utf8')
  t.match(userdata, "JUPYTERHUB_API_URL='http://10.0.0.2:8000/hub/api'", 'the VM calls the hub at its own address')
  t.match(userdata, "JUPYTERHUB_ACTIVITY_URL='http://10.0.0.2:8000/hub/api/users/alice/activity'")
  t.match(userdata, "JUPYTERHUB_SERVICE_URL='http://0.0.0.0:8888/user/alice/'")
  t.match(userdata, "JUPYTERHUB_API_TOKEN='secret-token'")
  t.match(userdata, /jupyterhub-singleuser --ip=0\.0\.0\.0 --port=8888/)

  t.equal(await spawner.poll(result.state), 'running')
  await spawner.stop(result.state)
  t.match(await fs.readFile(path.join(dir, 'calls'), 'utf8'), /terminate-instances --instance-ids i-0abc/)
  t.equal(await spawner.poll(result.state), 'stopped', 'a terminated instance is stopped')
})
