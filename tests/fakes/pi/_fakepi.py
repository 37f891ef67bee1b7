"""Shared by the fake Pi modules: the folder the test reads and writes ($TALKPUCK_FAKE_PI)."""
import json
import os


def path(name):
    return os.path.join(os.environ["TALKPUCK_FAKE_PI"], name)


def write(name, data):
    tmp = path(name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path(name))


def write_json(name, doc):
    write(name, json.dumps(doc).encode())
