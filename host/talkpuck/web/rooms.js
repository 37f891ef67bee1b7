// rooms.js — keeps the server-rendered rooms table current from /api/live/stream (server-sent events): the
// whole snapshot first, then only the rooms that changed (`delta`), merged by room name. Time left and
// "last seen" count on here, every second, from each room's `now_ms`.
"use strict";
const LIVE = ["running", "warning", "wrapup", "timeup", "overrun"];
const roomRows = new Map();   // room name -> its rows (one per puck)
let skewMs = 0;               // this browser's clock minus the host's, from the last push's now_ms

function clock(s) {
  if (s === null || s === undefined) return "–";
  const neg = s < 0; s = Math.abs(s);
  return (neg ? "+" : "") + Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
}

function ago(ms, now) {
  if (!ms) return "never";
  const s = Math.max(0, Math.floor((now - ms) / 1000));
  return s < 120 ? s + " s ago" : s < 7200 ? Math.floor(s / 60) + " min ago" : Math.floor(s / 3600) + " h ago";
}

function row(room, d, now) {
  const tr = document.createElement("tr");
  tr.className = "puck" + (d.online ? "" : " offline") + (d.health.length ? " problem" : "");
  tr.dataset.device = d.id; tr.dataset.room = room;
  const live = LIVE.includes(d.phase), sv = d.session_view;
  const cells = [room, d.id, null, d.online ? "online" : "offline",
    (!live ? "none" : sv ? (sv.purpose || sv.id) + " · " + d.phase : d.phase === "running" ? "running" : "running · " + d.phase) +
      (d.follow_s ? " · follow-up window: " + Math.ceil(d.follow_s / 60) + " min left" : ""),
    live && d.limit_s ? clock(d.remaining_s) : "–", String(d.hands || 0), d.fw || "?",
    d.outbox === null || d.outbox === undefined ? "–" : String(d.outbox), ago(d.last_seen_ms, now),
    d.health.length ? d.health.join("; ") : "ok"];
  cells.forEach((text, i) => {
    const td = document.createElement("td");
    td.className = "c" + i;
    if (text === null) td.innerHTML = d.ring;   // the host's SVG of the puck's ring (no script in it)
    else td.textContent = text;
    tr.append(td);
  });
  if (live && d.limit_s && d.remaining_s !== null) tr.dataset.remaining = d.remaining_s;
  if (d.last_seen_ms) tr.dataset.seen = d.last_seen_ms;
  tr.dataset.at = now;
  return tr;
}

function render() {
  const rows = [];
  for (const name of [...roomRows.keys()].sort()) rows.push(...roomRows.get(name));
  document.querySelector("#rooms-table tbody").replaceChildren(...rows);
}

function setText(el, text) { if (el.textContent !== text) el.textContent = text; }

// four times a second: time left and "last seen" move on from the last push, on the host's clock
function tick() {
  const now = Date.now() - skewMs;
  for (const tr of document.querySelectorAll("#rooms-table tr.puck[data-at]")) {
    if (tr.dataset.remaining !== undefined) {
      setText(tr.querySelector(".c5"), clock(+tr.dataset.remaining - Math.floor(Math.max(0, now - +tr.dataset.at) / 1000)));
    }
    if (tr.dataset.seen) setText(tr.querySelector(".c9"), ago(+tr.dataset.seen, now));
  }
}
setInterval(tick, 250);   // often enough that a second shows when it passes

const es = new EventSource("/api/live/stream");
const conn = document.getElementById("conn");
es.addEventListener("live", (e) => {
  const data = JSON.parse(e.data);
  skewMs = Date.now() - data.now_ms;
  if (!data.delta) roomRows.clear();
  for (const name of data.removed || []) roomRows.delete(name);
  for (const r of data.rooms) roomRows.set(r.room, r.devices.map((d) => row(r.room, d, r.now_ms || data.now_ms)));
  render();
  conn.textContent = "live"; conn.className = "conn ok";
});
es.onerror = () => { conn.textContent = "reconnecting…"; conn.className = "conn bad"; };
