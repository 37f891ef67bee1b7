"""sim — simulated pucks: the real firmware core on CPython, with audio from WAV files."""
