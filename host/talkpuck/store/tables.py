"""tables — the store's SQL tables (SQLAlchemy Core), portable between SQLite and PostgreSQL.

Times are integers: wall-clock Unix milliseconds (`*_ms` columns, BigInteger) computed by ingest
from the puck clock (protocol §7); puck clock values keep their `dev_ms` name.
"""
from sqlalchemy import (BigInteger, Boolean, Column, Integer, MetaData, String, Table, Text,
                        UniqueConstraint)

metadata = MetaData()

schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_ms", BigInteger, nullable=False),
)

devices = Table(
    "devices", metadata,
    Column("id", String(32), primary_key=True),
    Column("room_reported", String(64)),          # info.room
    Column("room_override", String(64)),          # the host's value wins for grouping (§8)
    Column("fw", String(32)), Column("board", String(64)), Column("leds", Integer),
    Column("caps", Text),                          # JSON list
    Column("online", Boolean, nullable=False, default=False),
    Column("boot", String(8)),                     # current boot
    Column("state", Text),                         # last retained state, JSON
    Column("state_ms", BigInteger),                # wall time that state was received
    Column("tele", Text), Column("tele_ms", BigInteger),
    Column("first_seen_ms", BigInteger), Column("last_seen_ms", BigInteger),
)

boots = Table(
    "boots", metadata,
    Column("device", String(32), primary_key=True),
    Column("boot", String(8), primary_key=True),
    Column("anchor_wall_ms", BigInteger),          # host wall time when info was received
    Column("anchor_dev_ms", BigInteger),           # info.ms at that moment
    Column("prev_boot", String(8)), Column("prev_seq", Integer),
    Column("last_seq_reported", Integer),          # the next boot's info.prev_seq for this boot
    Column("first_seen_ms", BigInteger),
    # events of this boot deleted on purpose (retention, a deletion): not counted as lost (m003)
    Column("deleted_events", Integer, nullable=False, default=0),
    Column("deleted_max_seq", Integer),
)

events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("device", String(32), nullable=False),
    Column("boot", String(8), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("dev_ms", BigInteger, nullable=False),
    Column("wall_ms", BigInteger, nullable=False),
    Column("received_ms", BigInteger, nullable=False),
    Column("payload", Text, nullable=False),
    Column("session_id", String(100), index=True),  # the session it belongs to, deleted with it (m003)
    UniqueConstraint("device", "boot", "seq", name="uq_events_device_boot_seq"),
)

sessions = Table(
    "sessions", metadata,
    Column("id", String(100), primary_key=True),   # host id, or <device>:<boot>:<seq> from the puck
    Column("device", String(32)),
    Column("room", String(64)),
    Column("source", String(8), nullable=False),    # host | puck
    Column("purpose", String(200)),
    Column("limit_s", Integer), Column("warn_s", Integer),
    Column("phase", String(16), nullable=False),    # requested | a protocol phase
    Column("requested_ms", BigInteger),
    Column("started_ms", BigInteger), Column("ended_ms", BigInteger),
    Column("extended_s", Integer, nullable=False, default=0),
    Column("break_before_s", Integer),              # since the room's previous session ended
    Column("short_break", Boolean, nullable=False, default=False),
)

turns = Table(
    "turns", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("device", String(32), nullable=False), Column("boot", String(8), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("session_id", String(100), index=True),
    Column("voice", Integer, nullable=False), Column("conf", Integer),
    Column("start_ms", BigInteger, nullable=False), Column("end_ms", BigInteger, nullable=False),
    Column("dur_ms", Integer, nullable=False), Column("level_db", Integer),
    Column("cont", Boolean),                        # evt/turn.cont: continues the turn before it (m011_live)
    Column("remote", Boolean),                      # evt/turn.remote: the call (true), the room (false), NULL unknown (m012_remote)
    UniqueConstraint("device", "boot", "seq", name="uq_turns_device_boot_seq"),
)

hands = Table(
    "hands", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("room", String(64)),
    Column("source", String(8), nullable=False),    # puck | host (a remote participant)
    Column("device", String(32)), Column("boot", String(8)), Column("hand", Integer),
    Column("name", String(80)),                     # remote participant's label
    Column("session_id", String(100)),
    Column("state", String(12), nullable=False),    # waiting | acked | lowered | withdrawn | cleared
    Column("raised_ms", BigInteger, nullable=False),
    Column("acked_ms", BigInteger), Column("lowered_ms", BigInteger),
    Column("puck_confirmed", Boolean, nullable=False, default=False),
    UniqueConstraint("device", "boot", "hand", name="uq_hands_device_boot_hand"),
)

commands = Table(
    "commands", metadata,
    Column("id", String(64), primary_key=True),
    Column("device", String(32), nullable=False),
    Column("verb", String(32), nullable=False),
    Column("args", Text, nullable=False),
    Column("ts_ms", BigInteger, nullable=False), Column("ttl_s", Integer, nullable=False),
    Column("state", String(8), nullable=False),     # sent | ok | error
    Column("error", String(200)),
    Column("resp_ms", BigInteger),
    Column("session_id", String(100), index=True),  # the session it was sent in, deleted with it (m003)
)

rooms = Table(
    "rooms", metadata,
    Column("name", String(64), primary_key=True),
    Column("min_break_s", Integer),
)

counters = Table(
    "counters", metadata,
    Column("name", String(80), primary_key=True),   # duplicates_dropped, rejected:<reason>, http:<code>
    Column("value", BigInteger, nullable=False),
)
