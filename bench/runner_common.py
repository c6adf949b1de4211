"""What the benchmark runners share: running a program that prints one JSON document, the commit
and the host CPU's name."""
import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run_json(args):
    """Runs a program that prints one JSON document; its stderr is passed on and, when there is
    no document, its last line is the error. Returns (document or None, error or None)."""
    try:
        proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except OSError as error:
        return None, f"{args[0]}: {error}"
    sys.stderr.write(proc.stderr)
    try:
        return json.loads(proc.stdout), None
    except json.JSONDecodeError:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        program = args[1] if args[0] == sys.executable else args[0]
        return None, f"{os.path.basename(program)} exited {proc.returncode}: {last}"


def commit():
    return subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip() or "unknown"


def host_cpu():
    return next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                 if line.startswith("model name")), platform.processor())
