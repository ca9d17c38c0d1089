"""A loopback HTTP server for download tests: 127.0.0.1 only, started and stopped by
the tests, so nothing reaches the outside network."""

import http.server
import threading

import pytest

from keras_bridge import config


class Loopback:
    """A threaded HTTP server on 127.0.0.1 serving ``routes`` (path -> bytes, or
    ``("truncate", bytes)`` to announce the full length and drop the connection
    halfway); any other path is a 404. ``requests`` lists the paths asked for."""

    def __init__(self):
        self.routes = {}
        self.requests = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                owner.requests.append(self.path)
                route = owner.routes.get(self.path)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                truncate = isinstance(route, tuple)
                body = route[1] if truncate else route
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if truncate else body)
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,),
                                       daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server():
    s = Loopback()
    yield s
    s.close()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """KERAS_HOME in a fresh folder (never ~/.keras); returns its datasets folder."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    config.reset()
    return tmp_path / "keras" / "datasets"
