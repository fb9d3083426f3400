"""Screenshot a workbench page as a logged-in user, in headless Chromium (for docs/).

Usage: screenshot.py --url http://127.0.0.1:8069 --db DB --login admin --path /odoo/...
       --out docs/screenshots/x.png [--wait-for CSS] [--size 1400,900]
The password is read from $IPWB_SCREENSHOT_PASSWORD (never the command line). Logs in
through /web/session/authenticate, hands the session cookie to Chromium over the DevTools
protocol (loopback only) and captures the page once ``--wait-for`` matches.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import time
import urllib.request
from http.cookiejar import CookieJar

import websocket


def _session(url: str, db: str, login: str, password: str) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    body = json.dumps({"jsonrpc": "2.0", "params": {"db": db, "login": login, "password": password}}).encode()
    if not url.startswith(("http://", "https://")):
        raise SystemExit("--url must be an http(s) URL")
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(f"{url}/web/session/authenticate", body, headers)  # noqa: S310
    answer = json.load(opener.open(request, timeout=30))
    if answer.get("error"):
        raise SystemExit(f"login failed: {answer['error'].get('message')}")
    return next(c.value for c in jar if c.name == "session_id")


class Page:
    def __init__(self, ws_url: str) -> None:
        self.ws = websocket.create_connection(ws_url, timeout=60)
        self.next_id = 0

    def send(self, method: str, **params: object) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise SystemExit(f"{method}: {message['error']}")
                return message.get("result", {})


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", required=True)
    parser.add_argument("--login", default="admin")
    parser.add_argument("--path", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--wait-for", default="body")
    parser.add_argument("--size", default="1400,900")
    args = parser.parse_args()
    password = os.environ.get("IPWB_SCREENSHOT_PASSWORD")
    if not password:
        raise SystemExit("set IPWB_SCREENSHOT_PASSWORD to the login's password")
    session = _session(args.url, args.db, args.login, password)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
    width, height = (int(v) for v in args.size.split(","))
    with tempfile.TemporaryDirectory() as profile:
        browser = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--remote-debugging-address=127.0.0.1",
             "--remote-debugging-port=0", f"--user-data-dir={profile}", f"--window-size={width},{height}",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            port_file = pathlib.Path(profile) / "DevToolsActivePort"
            for _ in range(100):
                if port_file.exists() and port_file.read_text().strip():
                    break
                time.sleep(0.1)
            port = port_file.read_text().splitlines()[0]
            targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=10))
            page = Page(next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page"))
            page.send("Network.enable")
            page.send("Network.setCookie", name="session_id", value=session, url=args.url, path="/")
            page.send(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=height,
                deviceScaleFactor=1,
                mobile=False,
            )
            page.send("Page.navigate", url=args.url + args.path)
            check = f"!!document.querySelector({json.dumps(args.wait_for)})"
            for _ in range(300):
                if page.send("Runtime.evaluate", expression=check)["result"].get("value"):
                    break
                time.sleep(0.2)
            else:
                raise SystemExit(f"{args.wait_for} never appeared")
            time.sleep(1.5)  # charts and fonts settle
            shot = page.send("Page.captureScreenshot", format="png")
            pathlib.Path(args.out).write_bytes(base64.b64decode(shot["data"]))
            print(f"wrote {args.out}")
        finally:
            browser.terminate()
            browser.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
