"""Benchmark: the intake Lambda binary's cold start, from process start to its first answer.

A minimal Lambda Runtime API (the interface AWS's own runtime serves the function) hands the
binary one API Gateway v2 event and times when it asks for it (its initialisation: Lambda's
Init Duration) and when the answer comes back (with DynamoDB round trips); then the process is
ended and started again, ten times unmeasured (to warm DynamoDB Local), then RUNS times.
Prints the median; fails on nothing but a wrong answer.

usage: cold_start.py BINARY FIXTURE RUNS   (env: DYNAMODB_ENDPOINT, TABLE_NAME)
"""
import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time

binary, fixture, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(fixture) as f:
    event = f.read().encode()


class Runtime(http.server.BaseHTTPRequestHandler):
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
            self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:intake")
            self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
            self.send_header("Content-Length", str(len(event)))
            self.end_headers()
            self.wfile.write(event)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).result = (self.path, body)
        type(self).answered = time.perf_counter()
        self.send_response(202)
        self.end_headers()


def once():
    # Each run has a state of its own: the last process may still ask its old server for a
    # second event while this one starts.
    class Run(Runtime):
        answered, asked, handed_out, result = None, None, False, None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Run)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ,
               AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_port}",
               AWS_LAMBDA_FUNCTION_NAME="intake", AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
               AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256", AWS_LAMBDA_LOG_STREAM_NAME="bench",
               AWS_LAMBDA_LOG_GROUP_NAME="/aws/lambda/intake", RUST_LOG="warn",
               CURSOR_KEY=os.environ.get("CURSOR_KEY", "bench-cursor-key-of-at-least-32-characters"))
    start = time.perf_counter()
    log = open(os.environ.get("COLD_START_LOG", "/tmp/cold-start.log"), "wb")
    proc = subprocess.Popen([binary], env=env, stdout=log, stderr=log)
    while Run.answered is None and proc.poll() is None and time.perf_counter() - start < 20:
        time.sleep(0.0005)
    proc.kill()
    proc.wait()
    server.shutdown()
    server.server_close()
    log.close()
    if Run.answered is None:
        with open(log.name, "rb") as f:
            sys.exit(f"the binary gave no answer (exit {proc.returncode}); its log:\n{f.read()[-2000:].decode(errors='replace')}")
    path, body = Run.result
    answer = json.loads(body)
    if not path.endswith("/response") or answer.get("statusCode") not in (200, 201):
        sys.exit(f"unexpected answer on {path}: {body[:500]!r}")
    return (Run.asked - start) * 1000, (Run.answered - start) * 1000


# DynamoDB Local is a JVM that was just started: its first answers are slow until it has
# compiled its hot paths, which DynamoDB itself never is. Warm it, then measure.
for _ in range(10):
    once()
runs = [once() for _ in range(runs)]
init = [r[0] for r in runs]
times = [r[1] for r in runs]
print(f"cold start of {os.path.basename(binary)}: initialised (asks for its first event) median "
      f"{statistics.median(init):.1f} ms, min {min(init):.1f}, max {max(init):.1f}; first answer "
      f"({os.path.basename(fixture)}, {len(runs)} runs) median {statistics.median(times):.1f} ms, "
      f"min {min(times):.1f} ms, max {max(times):.1f} ms")
