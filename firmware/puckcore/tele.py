"""tele — the puck's telemetry document (protocol §5): health, and every drop and error counter.

`fields(puck, now_ms)` is what the link task publishes on `tele` every `Uplink.tele_ms`
(puckcore.uplink). Every bounded queue of the firmware is a puckcore.ringqueue.RingQueue that counts
what it drops, and each count leaves the puck here (host/talkpuck/protocol/schemas/tele.json lists them):

    dropped            outbox_dropped + detector_dropped (kept: the host's loss figure)
    outbox_dropped     events pushed out of a full outbox (the host also sees the gap in seq)
    detector_dropped   detector events the app did not take in time
    resp_dropped       command responses pushed out before the link could send them
    rejected           commands refused (bad JSON, bad arguments, expired, unknown verb)
    mqtt_discards      incoming MQTT messages lost (full inbox, or larger than the client takes)
    mic_short_reads    I2S reads that came back short and needed a second read
    storage_errors     saves that failed (flash full, file system error)
    mic_frames         audio frames read from the microphone this boot (0 after a while: no audio)
    link_error         the last link fault, as text (null: none this boot)

A HAL part without a counter (the simulator's link, a PCM file instead of a microphone) reports 0
or null: the counters are attributes the HAL parts may have (`discards`, `last_error`,
`short_reads`, `errors`).
"""

ERROR_MAX = 120  # link_error is cut to this many characters


def fields(puck, now_ms):
    hal = puck.hal
    free, alloc = hal.mem()
    link = hal.link
    return {
        "uptime_s": hal.uptime_s(),
        "mem_free": free,
        "mem_alloc": alloc,
        "outbox": len(puck.outbox),
        "dropped": puck.outbox.dropped + puck.detector.dropped,
        "outbox_dropped": puck.outbox.dropped,
        "detector_dropped": puck.detector.dropped,
        "resp_dropped": puck.responses.dropped,
        "rejected": puck.rejected,
        "mqtt_discards": getattr(link, "discards", 0),
        "mic_short_reads": getattr(hal.mic, "short_reads", 0),
        "storage_errors": getattr(hal.storage, "errors", 0),
        "mic_frames": puck.frames,
        "link_error": error_text(getattr(link, "last_error", None) or puck.link_error),
        "rssi": hal.rssi(),
    }


def error_text(error):
    """An error for `tele`: a short string, or None."""
    if error is None:
        return None
    if not isinstance(error, str):
        error = repr(error)
    return error if len(error) <= ERROR_MAX else error[:ERROR_MAX]
