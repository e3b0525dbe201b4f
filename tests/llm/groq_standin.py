"""A local stand-in of the chat-completions endpoint, speaking its wire format: at Groq's path
and at the OpenAI-compatible one that vLLM, llama.cpp's server and Ollama serve."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.servers import HttpStandIn

PATHS = ("/openai/v1/chat/completions", "/v1/chat/completions")  # Groq's, OpenAI-compatible


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


class GroqStandIn(HttpStandIn):
    """Answers each request with the next scripted response (the last one repeats)."""

    def __init__(self, script: list[Scripted]) -> None:
        self.script = script
        self.requests: list[dict] = []
        super().__init__()

    def post(self, request: BaseHTTPRequestHandler) -> None:
        body = json.loads(request.rfile.read(int(request.headers["Content-Length"])))
        self.requests.append(
            {"path": request.path, "body": body, "auth": request.headers.get("Authorization", "")}
        )
        step = self.script[min(len(self.requests), len(self.script)) - 1]
        time.sleep(step.delay_s)
        if request.path not in PATHS:
            step = Scripted(404, headers={})
        wants_json = "response_format" in body and step.json_content
        payload = (
            completion(step.json_content if wants_json else step.content, body.get("model", ""))
            if step.status == 200
            else {"error": {"message": "scripted failure", "type": "api_error"}}
        )
        self.reply(request, step.status, payload, step.headers)
