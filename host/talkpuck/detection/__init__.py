"""detection — host side of the talk-turn detector: WAV input, running the firmware code, RTTM, metrics.

`talkpuck detect` and `talkpuck eval` run exactly `puckcore.detector.TurnDetector` (the code the puck
runs) over WAV files; nothing here decides speech on its own. See docs/detection.md.
"""
