"""Runs `moto_server` for the integration tests, and stops it by its pid when the test
process goes away: the test holds this script's stdin open, so the end of stdin means the
test binary exited, panicked or was killed.

usage: serve.py MOTO_SERVER PORT RECORDING_FILE LOG_FILE
"""

import os
import subprocess
import sys

moto_server, port, recording, log = sys.argv[1:5]
env = dict(
    os.environ,
    MOTO_IAM_LOAD_MANAGED_POLICIES="true",
    MOTO_RECORDER_FILEPATH=recording,
)
with open(log, "ab") as log_file:
    child = subprocess.Popen(
        [moto_server, "-H", "127.0.0.1", "-p", port],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=log_file,
    )
    print(child.pid, flush=True)
    try:
        sys.stdin.read()
    finally:
        child.kill()
        child.wait()
