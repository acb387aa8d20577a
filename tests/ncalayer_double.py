"""A stand-in for NCALayer (the signing application on a citizen's computer, which cannot run
here): a WebSocket server speaking its real protocol - module ``kz.gov.pki.knca.basics``,
method ``sign``, format ``xml`` - that signs with a key of the test PKI."""
from __future__ import annotations

import json
import threading

from websockets.sync.server import serve


class NcaLayerDouble:
    """Runs on 127.0.0.1 at an ephemeral port; ``requests`` keeps what the page sent."""

    def __init__(self, pki, who: str = "auth"):
        self.pki, self.who, self.requests = pki, who, []
        self.server = serve(self.handle, "127.0.0.1", 0)
        self.port = self.server.socket.getsockname()[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    def handle(self, websocket) -> None:
        for raw in websocket:
            message = json.loads(raw)
            self.requests.append(message)
            args = message.get("args", {})
            if (message.get("module"), message.get("method"), args.get("format")) != \
                    ("kz.gov.pki.knca.basics", "sign", "xml"):
                websocket.send(json.dumps({"status": False, "code": "500",
                                           "message": "unsupported request"}))
                continue
            signed = self.pki.sign_xml(args["data"].encode("utf-8"), who=self.who).decode("utf-8")
            websocket.send(json.dumps({"status": True, "body": {"result": [signed]}}))

    def __enter__(self) -> "NcaLayerDouble":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
