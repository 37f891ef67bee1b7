"""voice_cost_mp — minimum time of the remote cue's per-frame and per-turn work under the MicroPython unix
port (bench/voice_cost.py runs it). Minimum of many calls: robust to a shared, busy machine."""
from array import array
from mp_best import best
from puckcore.remote import RemoteCue
from puckcore import voice_model
from puckcore.frontend import frame_stats
from puckcore.frontend_viper import frame_stats_viper
cue = RemoteCue(4, 1000, voice_model)
def add():
    cue.add(500, -480, -800)
def take():
    cue.take(2, 0, 1000)
def rem():
    cue.remote(2)
fr = array('h', [((i * 7919) % 20000) - 10000 for i in range(320)])
out = array('i', [0, 0, 0, 0, 0, 65536])
def fsv():
    frame_stats_viper(fr, 320, 3, out)
def fsb():
    frame_stats(fr, 320, 3, out)
for i in range(1000):
    cue.add(i, -480 - (i % 40) * 16, -800)
print("remote.add (per voiced frame) us", best(add))
print("remote.take of 1000 frames (per turn, viper) us", best(take))
print("remote.remote decision us", best(rem, 50))
print("frame_stats viper us", best(fsv))
print("frame_stats bytecode us", best(fsb, 50))
