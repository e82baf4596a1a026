"""A local HTTP server (127.0.0.1, a thread) serving a folder, with HTTP Range support and faults
on demand: drop the connection after N bytes, answer 503, ignore Range headers."""
from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from asnet.utils import load_params

REPO = Path(__file__).resolve().parents[3]


class ArchiveServer:
    def __init__(self, root: Path):
        self.root = root
        self.requests: list[tuple[str, str | None]] = []  # (file name, Range header)
        self.faults: dict[str, list[str]] = {}              # file name -> faults for its next requests
        self.ignore_range = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        name = request.path.lstrip("/").split("?")[0]
        range_header = request.headers.get("Range")
        self.requests.append((name, range_header))
        path = self.root / name
        fault = self.faults.get(name, [None]).pop(0) if self.faults.get(name) else None
        if fault == "503":
            request.send_error(503, "busy")
            return
        if not path.is_file():
            request.send_error(404, "not found")
            return
        data = path.read_bytes()
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", range_header or "")
        if match and not self.ignore_range:
            start = int(match[1])
            if start >= len(data):
                request.send_error(416, "range not satisfiable")
                return
            request.send_response(206)
            request.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            request.send_response(200)
        body = data[start:]
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        if fault and fault.startswith("drop:"):  # promise the whole body, send a prefix, hang up
            request.wfile.write(body[: int(fault.split(":")[1])])
            request.wfile.flush()
            request.close_connection = True
            return
        request.wfile.write(body)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def archive_server(tmp_path):
    """An ArchiveServer over tmp_path/'served' (put archives there)."""
    root = tmp_path / "served"
    root.mkdir()
    server = ArchiveServer(root)
    yield server
    server.close()


@pytest.fixture
def corpus_params(tmp_path) -> Path:
    """A params file with the repo's base and a prepare_<corpus> section per corpus."""
    repo = load_params(REPO / "params.yaml")
    sections = {f"prepare_{name}": {} for name in
                ("asvspoof2019_la", "asvspoof2021_la", "asvspoof2021_df", "asvspoof5", "in_the_wild")}
    sections["prepare_wavefake"] = {"seed": 0, "split_fractions": [0.6, 0.2, 0.2], "train_systems": None}
    sections["prepare_librisevoc"] = {"seed": 0, "split_fractions": [0.6, 0.2, 0.2]}
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump({"base": repo["base"], **sections}))
    return path
