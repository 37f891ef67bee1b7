"""voicevec_cost_mp — minimum time of the voice vector's work under the MicroPython unix port
(bench/voice_cost.py --vector runs it): per stored voiced frame (FFT bands + log/projection, viper), per
piece (pooling to a unit vector) and per clustering decision. Minimum of many calls: robust to a
shared, busy machine."""
from array import array
from mp_best import best
from puckcore.voicevec import DIM, VoiceVector
from puckcore.vectorvoices import VectorVoices
vv = VoiceVector(500)
vs = VectorVoices(6, DIM, 307, 461, 60, 2000)
fr = array('h', [((i * 7919) % 20000) - 10000 for i in range(320)])
u = array('i', [0] * DIM)
def frame():
    vv.frame(fr, 7)
for s in range(500):
    vv.frame(fr, s)
def piece():
    vv.piece(0, 500, 21760, u)
vv.piece(0, 500, 21760, u)
for k in range(6):
    u2 = array('i', [0] * DIM)
    u2[k] = 1024
    vs.assign(u2, 100)
def assign():
    vs.assign(u, 100)
print("voicevec.frame (per stored voiced frame, viper) us", best(frame))
print("voicevec.piece of 500 stored frames (per piece) us", best(piece, 50))
print("vectorvoices.assign with 6 voices (per piece) us", best(assign, 50))
