"""Run the real firmware under the MicroPython unix port and watch its topics (shared by the e2e tests
that start `firmware/main.py`): the interpreter, a config file, the process, and an MQTT watcher."""
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import paho.mqtt.client as mqtt

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MICROPYPATH = "firmware:firmware/lib:.frozen"


def micropython():
    """The unix port installed beside this Python (the dev extra), else one on PATH; None if neither."""
    here = os.path.join(os.path.dirname(sys.executable), "micropython")
    return here if os.path.exists(here) else shutil.which("micropython")


def write_config(folder, cfg):
    """`cfg` as `folder`/config.json; its path."""
    os.makedirs(str(folder), exist_ok=True)
    path = os.path.join(str(folder), "config.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    return path


def firmware_env():
    env = dict(os.environ)
    env["MICROPYPATH"] = MICROPYPATH
    return env


def start_firmware(config_path):
    """`firmware/main.py config_path` under the unix port, output (text) on the process's stdout."""
    return subprocess.Popen([micropython(), "-X", "heapsize=2M", "firmware/main.py", str(config_path)], cwd=REPO,
                            env=firmware_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop_firmware(proc):
    """Kill the puck as a power cut would (the broker must send its will); its output."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    return proc.communicate(timeout=10)[0]


class Watcher:
    """Every message on one puck's topics, as (topic below the puck's root, payload, retain)."""

    def __init__(self, broker, device, client_id):
        self.root = "talkpuck/v1/%s/" % device
        self.msgs = []
        self.lock = threading.Lock()
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        self.c.on_message = self._on_message
        self.c.connect(broker.host, broker.port)
        self.c.subscribe(self.root + "#", qos=1)
        self.c.loop_start()

    def _on_message(self, c, u, m):
        with self.lock:
            self.msgs.append((m.topic[len(self.root):], bytes(m.payload), m.retain))

    def find(self, topic, pred=lambda doc: True, raw=False):
        """The first message on `topic` (decoded unless `raw`) that `pred` accepts, or None."""
        with self.lock:
            for t, p, _r in self.msgs:
                if t == topic:
                    doc = p if raw else json.loads(p)
                    if pred(doc):
                        return doc
        return None

    def docs(self, prefix):
        with self.lock:
            return [json.loads(p) for t, p, _r in self.msgs if t.startswith(prefix)]

    def raw(self, topic):
        with self.lock:
            return [p for t, p, _r in self.msgs if t == topic]

    def command(self, verb, cid, **fields):
        doc = {"id": cid, "ts": int(time.time() * 1000), "ttl_s": 60}
        doc.update(fields)
        self.c.publish(self.root + "cmd/" + verb, json.dumps(doc), qos=1).wait_for_publish(5)

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()
