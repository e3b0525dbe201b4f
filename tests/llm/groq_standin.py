"""A local stand-in of Groq's chat-completions endpoint, speaking its wire format."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATH = "/openai/v1/chat/completions"


@dataclass
class Scripted:
    status: int = 200
    content: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    json_content: str = ""  # the answer to a request for JSON (response_format), when set


def completion(content: str, model: str) -> dict:
    return {
        "id": "chatcmpl-standin",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_standin",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 321, "completion_tokens": 17, "total_tokens": 338},
    }


class GroqStandIn:
    """Answers each request with the next scripted response (the last one repeats)."""

    def __init__(self, script: list[Scripted]) -> None:
        self.script = script
        self.requests: list[dict] = []
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                standin.requests.append(
                    {"path": self.path, "body": body, "auth": self.headers.get("Authorization", "")}
                )
                step = standin.script[min(len(standin.requests), len(standin.script)) - 1]
                time.sleep(step.delay_s)
                if self.path != PATH:
                    step = Scripted(404, headers={})
                wants_json = "response_format" in body and step.json_content
                payload = (
                    completion(
                        step.json_content if wants_json else step.content, body.get("model", "")
                    )
                    if step.status == 200
                    else {"error": {"message": "scripted failure", "type": "api_error"}}
                )
                data = json.dumps(payload).encode()
                try:
                    self.send_response(step.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in step.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
