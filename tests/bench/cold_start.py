"""Benchmark: cold starts of Lambda binaries, each beside a hello-world `lambda_http` binary built
with the same profile (the yardstick: what the runtime itself costs).

A minimal Lambda Runtime API (the interface AWS's own runtime serves the function) hands each
binary one event and times when the binary asks for it (its initialisation: Lambda's Init
Duration) and when its answer comes back; then the process is ended and started again. The
binaries take turns, so that a busy moment of the machine falls on all of them alike; ten
rounds are run unmeasured first (they warm the disk cache and DynamoDB Local's JVM, which
DynamoDB itself never needs). Prints a Markdown table of medians and the ratio to the first
binary; fails on nothing but a wrong answer.

usage: cold_start.py RUNS NAME=BINARY:FIXTURE:STATUS ...
  STATUS: the statusCode the answer must carry, or "any" for a function that is not HTTP.
  The first NAME is the yardstick. env: DYNAMODB_ENDPOINT, TABLE_NAME, CURSOR_KEY.
"""
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time


class Runtime(http.server.BaseHTTPRequestHandler):
    event = b""
    answered = None
    asked = None
    handed_out = False
    result = None

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.endswith("/runtime/invocation/next"):
            if type(self).handed_out:
                time.sleep(30)  # the process is ended before this returns
                return
            type(self).handed_out = True
            type(self).asked = time.perf_counter()
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-1")
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:bench")
            self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
            self.send_header("Content-Length", str(len(self.event)))
            self.end_headers()
            self.wfile.write(self.event)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).result = (self.path, body)
        type(self).answered = time.perf_counter()
        self.send_response(202)
        self.end_headers()


def once(name, binary, event, status):
    # Each run has a state of its own: the last process may still ask its old server for a
    # second event while this one starts.
    class Run(Runtime):
        pass

    Run.event = event
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Run)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ,
               AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_port}",
               AWS_LAMBDA_FUNCTION_NAME=name, AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
               AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256", AWS_LAMBDA_LOG_STREAM_NAME="bench",
               AWS_LAMBDA_LOG_GROUP_NAME=f"/aws/lambda/{name}", RUST_LOG="warn",
               CURSOR_KEY=os.environ.get("CURSOR_KEY", "bench-cursor-key-of-at-least-32-characters"))
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        proc = subprocess.Popen([binary], env=env, stdout=log, stderr=log)
        while Run.answered is None and proc.poll() is None and time.perf_counter() - start < 20:
            time.sleep(0.0002)
        proc.kill()
        proc.wait()
        server.shutdown()
        server.server_close()
        if Run.answered is None:
            log.seek(0)
            sys.exit(f"{name} gave no answer (exit {proc.returncode}); its log:\n"
                     f"{log.read()[-2000:].decode(errors='replace')}")
    path, body = Run.result
    answer = json.loads(body or b"null")
    if not path.endswith("/response") or (
            status != "any" and str((answer or {}).get("statusCode")) != status):
        sys.exit(f"{name}: unexpected answer on {path}: {body[:500]!r}")
    return (Run.asked - start) * 1000, (Run.answered - start) * 1000


def main():
    runs = int(sys.argv[1])
    specs = []
    for arg in sys.argv[2:]:
        name, rest = arg.split("=", 1)
        binary, fixture, status = rest.rsplit(":", 2)
        with open(fixture, "rb") as f:
            specs.append((name, binary, f.read(), status, os.path.basename(fixture)))
    for _ in range(10):
        for name, binary, event, status, _ in specs:
            once(name, binary, event, status)
    times = {name: [] for name, *_ in specs}
    for _ in range(runs):
        for name, binary, event, status, _ in specs:
            times[name].append(once(name, binary, event, status))

    def med(name, i):
        return statistics.median(t[i] for t in times[name])

    base = specs[0][0]

    def ratio(name, i):
        # Each round starts every binary once, one after the other: a ratio within a round
        # compares starts made under the same load, and its median is steadier than the
        # ratio of two medians taken across rounds.
        return statistics.median(t[i] / b[i] for t, b in zip(times[name], times[base]))

    print(f"cold starts, median of {runs} runs each (process start to asking for the first event, "
          f"and to the first answer); × is the median of the ratios to {base} within each round")
    print("| function | event | init ms | × | first answer ms | × | binary MiB |")
    print("|---|---|---|---|---|---|---|")
    for name, binary, _, _, fixture in specs:
        size = os.path.getsize(binary) / 1048576
        print(f"| {name} | {fixture} | {med(name, 0):.1f} | {ratio(name, 0):.2f} "
              f"| {med(name, 1):.1f} | {ratio(name, 1):.2f} | {size:.1f} |")


main()
