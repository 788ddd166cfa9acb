"""Optional LLM path against a stub OpenAI-compatible server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from emo3d_lib.errors import Emo3DError
from emo3d_lib.schema import EMOTIONS, TEXT_COLUMNS
from emo3d_lib.text import llm
from emo3d_lib.text.generator import generate_text_samples


class _Stub(BaseHTTPRequestHandler):
    """Answers /v1/chat/completions; records requests; behaviour set on the server object."""

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "auth": self.headers.get("Authorization"),
                                     "body": body})
        if self.server.fail_status:
            self.send_response(self.server.fail_status)
            self.end_headers()
            return
        prompt = body["messages"][-1]["content"]
        if "paraphrases" in prompt:  # generation request
            n = len(self.server.requests)
            content = "Sure! " + json.dumps({"texts": [
                f"This elderly female is showing intense despair in her face ({n}a).",
                f"This woman in her old age looks disheartened ({n}b).",
                f"An old lady with downturned lips and teary eyes ({n}c)."]})
        else:  # annotation request
            content = self.server.annotation_reply
        reply = {"choices": [{"message": {"role": "assistant", "content": content}}]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


GOOD_SCORES = json.dumps({"neutral": 0.2, "happiness": 0.0, "surprise": 0.0, "sadness": 0.9,
                          "anger": 0.0, "disgust": 0.0, "fear": 0.0, "contempt": 0.1})


@pytest.fixture()
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    server.requests, server.fail_status, server.annotation_reply = [], 0, GOOD_SCORES
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(llm.ENV_BASE_URL, f"http://127.0.0.1:{server.server_port}/v1/")
    monkeypatch.setenv(llm.ENV_MODEL, "stub-gpt-3.5")
    monkeypatch.setenv(llm.ENV_API_KEY, "sk-test")
    yield server
    server.shutdown()
    server.server_close()


def test_config_from_environment_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(llm.ENV_BASE_URL, raising=False)
    monkeypatch.setenv(llm.ENV_MODEL, "m")
    assert not llm.llm_configured()
    with pytest.raises(Emo3DError, match="EMO3D_LLM_BASE_URL"):
        llm.LLMConfig.from_env()


def test_annotation_through_stub(stub: ThreadingHTTPServer) -> None:
    scores = llm.annotate_llm(["This woman in her old age looks disheartened."])
    assert scores.shape == (1, 8) and scores.dtype == np.float32
    assert dict(zip(EMOTIONS, scores[0].round(3), strict=True))["sadness"] == pytest.approx(0.9)
    req = stub.requests[0]
    assert req["path"] == "/v1/chat/completions"
    assert req["auth"] == "Bearer sk-test"
    assert req["body"]["model"] == "stub-gpt-3.5"
    assert "disheartened" in req["body"]["messages"][-1]["content"]
    assert "contempt" in req["body"]["messages"][-1]["content"]


def test_generation_through_stub_uses_the_offline_targets(stub: ThreadingHTTPServer) -> None:
    df = llm.generate_llm_samples(5, 10, 3, annotate=False)
    offline = generate_text_samples(5, 10, 3)
    assert df["sample_id"].tolist() == [10, 11, 12]
    np.testing.assert_array_equal(df[list(EMOTIONS)].to_numpy(), offline[list(EMOTIONS)].to_numpy())
    assert df["prompt_type"].tolist() == offline["prompt_type"].tolist()
    assert df.loc[0, "text_2"].startswith("This woman in her old age")
    prompt = stub.requests[0]["body"]["messages"][-1]["content"]
    dominant = max(EMOTIONS, key=lambda e: offline.loc[0, e])
    assert dominant in prompt
    assert all(len(set(df.loc[i, list(TEXT_COLUMNS)])) == 3 for i in range(3))
    annotated = llm.generate_llm_samples(5, 0, 2, annotate=True)  # the paper's two-step path
    assert annotated["sadness"].tolist() == [0.9, 0.9]
    assert len(stub.requests) == 3 + 2 * 2


@pytest.mark.parametrize("reply, message", [
    ("I cannot help with that.", "no JSON object"),
    ('{"neutral": 0.1}', "'happiness' missing"),
    (GOOD_SCORES.replace("0.9", "1.7"), r"sadness=1.7 is not in \[0, 1\]"),
    (GOOD_SCORES.replace("0.9", '"high"'), "sadness='high' is not a number"),
])
def test_bad_annotation_replies(stub: ThreadingHTTPServer, reply: str, message: str) -> None:
    stub.annotation_reply = reply
    with pytest.raises(Emo3DError, match=f"text 0.*{message}"):
        llm.annotate_llm(["some text"])


def test_http_errors_are_reported(stub: ThreadingHTTPServer) -> None:
    stub.fail_status = 401
    with pytest.raises(Emo3DError, match="HTTP 401"):
        llm.annotate_llm(["some text"])
    stub.fail_status = 503
    client = llm.ChatClient(retries=1)
    with pytest.raises(Emo3DError, match="HTTP 503"):
        llm.annotate_llm(["some text"], client)
    assert len(stub.requests) == 1 + 2  # one 401, then 503 + one retry


def test_annotate_cli_with_llm(stub: ThreadingHTTPServer, tmp_path) -> None:
    import argparse
    from pathlib import Path

    from emo3d_lib.text import cli

    parser = argparse.ArgumentParser(prog="emo3d")
    cli.register(parser.add_subparsers(dest="command", required=True))
    fixture = Path(__file__).parent / "data" / "emo3d_release"
    out = tmp_path / "llm.json"
    args = parser.parse_args(["annotate", "--data", str(fixture), "--annotator", "llm",
                              "--limit", "2", "--out", str(out)])
    assert args.func(args) == 0
    report = json.loads(out.read_text())
    assert report["n"] == 2 and "stub-gpt-3.5" in report["annotator"]
    # stub always answers "sadness 0.9": sample 0 is sad (match), sample 1 happy (miss)
    assert report["dominant_agreement"] == 0.5
    assert "sk-test" not in out.read_text()
    assert len(stub.requests) == 2
