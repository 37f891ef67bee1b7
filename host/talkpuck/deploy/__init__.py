"""deploy — putting the firmware on a puck: pin maps and their checker, mpy-cross builds, mpremote deploy.

See host/talkpuck/deploy/README.md.
"""
