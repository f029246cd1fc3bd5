"""The replay command's invocation of a deployed function through the Lambda API, against a
loopback endpoint that answers as Lambda does."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from emulator.replay import LambdaInvoker, ReplayFailed

REGION = "us-east-1"


class _FakeLambda(BaseHTTPRequestHandler):
    """Lambda's Invoke, as its API answers: 200, the payload, X-Amz-Function-Error on failure."""

    def do_POST(self) -> None:
        name = self.path.split("/functions/")[1].split("/")[0]
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        answer: dict[str, Any]
        headers: dict[str, str]
        if name == "broken":
            answer, headers = (
                {"errorMessage": "boom", "errorType": "RuntimeError"},
                {"X-Amz-Function-Error": "Unhandled"},
            )
        else:
            answer, headers = {"got": len(body["Records"])}, {}
        data = json.dumps(answer).encode()
        self.send_response(200)
        for key, value in {**headers, "Content-Type": "application/json"}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_deployed_function_is_invoked_through_the_lambda_api(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeLambda)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", f"http://127.0.0.1:{server.server_port}")
        event = {"Records": [{"eventID": "1"}, {"eventID": "2"}]}
        assert asyncio.run(LambdaInvoker("parley-Fanout", REGION).invoke(event)) == {"got": 2}
        with pytest.raises(ReplayFailed, match="boom"):
            asyncio.run(LambdaInvoker("broken", REGION).invoke(event))
    finally:
        server.shutdown()
        server.server_close()
