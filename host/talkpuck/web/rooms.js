// rooms.js — keeps the server-rendered rooms table current from /api/live/stream (server-sent events).
"use strict";
const LIVE = ["running", "warning", "wrapup", "timeup", "overrun"];

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
  return tr;
}

const es = new EventSource("/api/live/stream");
const conn = document.getElementById("conn");
es.addEventListener("live", (e) => {
  const data = JSON.parse(e.data);
  const rows = [];
  for (const r of data.rooms) for (const d of r.devices) rows.push(row(r.room, d, data.now_ms));
  document.querySelector("#rooms-table tbody").replaceChildren(...rows);
  conn.textContent = "live"; conn.className = "conn ok";
});
es.onerror = () => { conn.textContent = "reconnecting…"; conn.className = "conn bad"; };
