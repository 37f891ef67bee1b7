"""jsonstore — small JSON documents in a folder, written atomically (temp file, then rename).

The storage of every HAL (`hal.storage.load(name)` / `save(name, obj)`). On littlefs (the ESP32 and
rp2 default) os.rename over an existing file is atomic, so a power cut leaves the old or the new
document, never half of one. On FAT, where rename onto an existing file fails, the old file is
removed first (a cut between the two steps loses the document; load() then returns None and the
puck starts fresh). A document that does not parse loads as None.
"""
import json
import os


class JsonStore:
    def __init__(self, folder):
        self.folder = folder
        self.errors = 0  # failed saves (flash full, FS error): counted, never fatal
        _mkdirs(folder)

    def _path(self, name):
        return self.folder + "/" + name + ".json"

    def load(self, name):
        try:
            with open(self._path(name)) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def save(self, name, obj):
        path = self._path(name)
        tmp = path + ".tmp"
        try:
            with open(tmp, "w") as f:
                json.dump(obj, f)
            try:
                os.rename(tmp, path)
            except OSError:
                os.remove(path)  # FAT: rename does not replace
                os.rename(tmp, path)
            return True
        except OSError:
            self.errors += 1
            return False


def _mkdirs(folder):
    path = ""
    for part in folder.split("/"):
        if not part:
            path = "/" if not path else path
            continue
        path = part if not path else (path + part if path.endswith("/") else path + "/" + part)
        try:
            os.mkdir(path)
        except OSError:
            pass  # exists (or cannot be made: load/save will say so)
