"""Benchmark: the intake Lambda binary's cold start, from process start to its first answer.

A minimal Lambda Runtime API (the interface AWS's own runtime serves the function) hands the
binary one API Gateway v2 event and times when the answer comes back; then the process is
ended and started again. Prints the median; fails on nothing but a wrong answer.

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
    handed_out = False
    result = None

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.endswith("/runtime/invocation/next"):
            if Runtime.handed_out:
                time.sleep(30)  # the process is ended before this returns
                return
            Runtime.handed_out = True
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
        Runtime.result = (self.path, body)
        Runtime.answered = time.perf_counter()
        self.send_response(202)
        self.end_headers()


def once():
    Runtime.answered, Runtime.handed_out, Runtime.result = None, False, None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Runtime)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ,
               AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_port}",
               AWS_LAMBDA_FUNCTION_NAME="intake", AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
               AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256", AWS_LAMBDA_LOG_STREAM_NAME="bench",
               AWS_LAMBDA_LOG_GROUP_NAME="/aws/lambda/intake", RUST_LOG="warn",
               CURSOR_KEY=os.environ.get("CURSOR_KEY", "bench-cursor-key-of-at-least-32-characters"))
    start = time.perf_counter()
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while Runtime.answered is None and proc.poll() is None and time.perf_counter() - start < 20:
        time.sleep(0.0005)
    proc.kill()
    proc.wait()
    server.shutdown()
    if Runtime.answered is None:
        sys.exit("the binary gave no answer")
    path, body = Runtime.result
    answer = json.loads(body)
    if not path.endswith("/response") or answer.get("statusCode") not in (200, 201):
        sys.exit(f"unexpected answer on {path}: {body[:500]!r}")
    return (Runtime.answered - start) * 1000


times = [once() for _ in range(runs)]
print(f"cold start of {os.path.basename(binary)} to first answer ({os.path.basename(fixture)}, {runs} runs): "
      f"median {statistics.median(times):.1f} ms, min {min(times):.1f} ms, max {max(times):.1f} ms")
