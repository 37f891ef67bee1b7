"""folders — empty a test's scratch folder (plain Python: the firmware tests run under MicroPython too)."""
import os


def empty_folder(folder):
    """Remove the files in `folder`; nothing when it does not exist."""
    try:
        for n in os.listdir(folder):
            os.remove(folder + "/" + n)
    except OSError:
        pass
