// live.js — the live room view: redraws from the server-sent event stream /api/live/stream (the host pushes
// the whole snapshot first, then only the rooms that changed, merged here by room name); no polling, no
// build step, no framework. Time left and hand waits count on here, every second, from each room's `now_ms`.
"use strict";
const STATS_EVERY_MS = 10000;
const LIVE = ["running", "warning", "wrapup", "timeup", "overrun"];
let skewMs = 0;       // this browser's clock minus the host's, from the last push's now_ms
const roomsEl = document.getElementById("rooms");
const tpl = document.getElementById("room-tpl");
const roomEls = {};   // room name -> section element (kept, so forms keep what people type)
// the session's CSRF token, rendered into the page by the host; sent on every state-changing request
const CSRF = document.querySelector('meta[name="csrf-token"]').content;

function toLogin(r) {
  // the session expired or was ended elsewhere: go to the login page instead of showing stale rooms
  if (r.status === 401) { window.location.assign("/login"); return true; }
  return false;
}

function fmt(s) {
  if (s === null || s === undefined) return "–";
  const neg = s < 0; s = Math.abs(s);
  const m = Math.floor(s / 60), r = s % 60;
  return (neg ? "+" : "") + m + ":" + String(r).padStart(2, "0");
}

async function api(method, path, body) {
  const r = await fetch(path, {method, headers: {"Content-Type": "application/json", "X-CSRF-Token": CSRF},
                               credentials: "same-origin", body: body ? JSON.stringify(body) : undefined});
  if (toLogin(r)) return {};
  const j = await r.json().catch(() => ({}));
  if (!r.ok) { alert((j.error || j.detail || r.statusText)); throw new Error(j.error || r.statusText); }
  return j;   // the change comes back on the stream
}

function makeRoom(name) {
  const el = tpl.content.firstElementChild.cloneNode(true);
  el.dataset.room = name;
  el.querySelector(".room-name").textContent = name;
  const start = el.querySelector(".start-form");
  start.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(start);
    const body = {device: f.get("device"), limit_s: Math.round(+f.get("limit_min") * 60),
                  warn_s: Math.round(+f.get("warn_min") * 60)};
    if (f.get("purpose")) body.purpose = f.get("purpose");
    api("POST", "/api/sessions", body);
  });
  start.querySelector(".extend").addEventListener("click", () =>
    api("POST", "/api/devices/" + start.device.value + "/session/extend", {add_s: 300}));
  // End, and with a follow-up window set: the puck's ring shows it after the call until it ends
  start.querySelector(".end").addEventListener("click", async () => {
    const dev = start.device.value, follow = Math.round(+start.follow_min.value * 60);
    await api("POST", "/api/devices/" + dev + "/session/end");
    if (follow > 0) await api("POST", "/api/devices/" + dev + "/follow_up", {seconds: follow});
  });
  const remote = el.querySelector(".remote-form");
  remote.addEventListener("submit", (e) => {
    e.preventDefault();
    api("POST", "/api/hands", {room: name, name: remote.name.value}).then(() => remote.reset());
  });
  remote.querySelector(".clear").addEventListener("click", () =>
    api("POST", "/api/rooms/" + encodeURIComponent(name) + "/hands/clear"));
  el.querySelector(".hands").addEventListener("click", (e) => {
    const b = e.target.closest("button[data-act]");
    if (b) api("POST", "/api/hands/" + b.dataset.id + "/" + b.dataset.act);
  });
  return el;
}

function drawRoom(el, room) {
  const devs = el.querySelector(".devices");
  devs.replaceChildren(...room.devices.map((d) => {
    const row = document.createElement("div");
    row.className = "device" + (d.online ? "" : " offline");
    row.dataset.device = d.id;
    // the ring as the puck shows it, drawn on the host by the firmware's own renderer (an SVG it sends)
    row.innerHTML = '<span class="ring-mirror"></span><span class="countdown"><small>time left</small> <b></b></span>' +
      '<span class="phase"></span><span class="who"></span><span class="meta"></span>';
    row.querySelector(".ring-mirror").innerHTML = d.ring || "";
    const cd = row.querySelector(".countdown b");
    cd.textContent = d.limit_s ? fmt(d.remaining_s) : "–";
    if (d.limit_s && LIVE.includes(d.phase) && d.remaining_s !== null) {
      cd.dataset.remaining = d.remaining_s; cd.dataset.at = room.now_ms;   // counted down by tick()
    }
    const ph = row.querySelector(".phase");
    ph.textContent = d.phase; ph.className = "phase phase-" + d.phase;
    const who = row.querySelector(".who");
    who.textContent = d.mic === "paused" ? "mic paused" : (d.talking ? "voice " + d.voice + " talking" +
      (d.remote === true ? " · the call" : "") : "quiet");
    who.className = "who " + (d.talking ? "talking" : "silent");
    if (d.follow_s) who.textContent += " · follow-up window: " + Math.ceil(d.follow_s / 60) + " min left";
    row.querySelector(".meta").textContent = d.id + (d.online ? "" : " (offline)") +
      (d.dropped || d.rejected || d.outbox ? " · outbox " + (d.outbox || 0) + " · dropped " + (d.dropped || 0) +
       " · rejected " + (d.rejected || 0) : "");
    const idb = document.createElement("button");
    idb.className = "identify"; idb.textContent = "Identify"; idb.title = "blink this puck's ring";
    idb.addEventListener("click", () => api("POST", "/api/commands", {device: d.id, verb: "identify", args: {seconds: 10}}));
    const rtb = document.createElement("button");
    rtb.className = "ring-test"; rtb.textContent = "Ring test";
    rtb.addEventListener("click", () => api("POST", "/api/commands", {device: d.id, verb: "ring_test"}));
    row.append(idb, " ", rtb);
    return row;
  }));
  const sel = el.querySelector("select[name=device]");
  const ids = room.devices.map((d) => d.id).join(",");
  if (sel.dataset.ids !== ids) {
    const keep = sel.value;
    sel.replaceChildren(...room.devices.map((d) => new Option(d.id, d.id)));
    if (keep) sel.value = keep;
    sel.dataset.ids = ids;
  }
  // one line and one balance of voices per session: two pucks in a room may run one each
  const sessions = room.sessions || (room.session ? [room.session] : []);
  const s = sessions[0];
  drawSessionLine(el.querySelector(".session-line"), s, sessions.length > 1);
  // at the warning: the practitioners' own prompt
  const prompt = el.querySelector(".prompt");
  const warned = room.devices.some((d) => d.phase === "warning" || d.phase === "wrapup");
  prompt.hidden = !warned;
  prompt.textContent = warned ? "We've " + (s && s.warn_s ? Math.round(s.warn_s / 60) + " minutes" : "a few minutes") +
    " left — is there anything we've missed?" : "";
  // before a start: a gentle note when the last call ended less than the minimum break ago
  const note = el.querySelector(".break-note");
  const running = room.devices.some((d) => ["running", "warning", "wrapup", "timeup", "overrun"].includes(d.phase));
  const short = !running && room.since_last_s !== null && room.since_last_s !== undefined &&
    room.min_break_s && room.since_last_s < room.min_break_s;
  note.hidden = !short;
  note.textContent = short ? Math.floor(room.since_last_s / 60) + " minutes since the last call (the room's minimum break is " +
    Math.round(room.min_break_s / 60) + " minutes)" : "";
  if (short) { note.dataset.since = room.since_last_s; note.dataset.at = room.now_ms; note.dataset.min = room.min_break_s; }
  else delete note.dataset.since;
  drawVoices(el.querySelector(".voices"), s ? s.voices : null);
  drawRoomCall(el.querySelector(".room-call"), s ? s.room_call : null);
  let more = el.querySelector(".more-sessions");
  if (!more) { more = document.createElement("div"); more.className = "more-sessions"; el.querySelector(".voices").after(more); }
  more.replaceChildren(...sessions.slice(1).map((x) => {
    const div = document.createElement("div"); div.className = "extra-session"; div.dataset.session = x.id;
    const line = document.createElement("div"); line.className = "session-line";
    const ul = document.createElement("ul"); ul.className = "extra-voices";
    drawSessionLine(line, x, true); drawVoices(ul, x.voices);
    div.append(line, ul);
    return div;
  }));
  const waiting = room.hands.filter((h) => h.state === "waiting");
  el.querySelector(".hand-count").textContent = waiting.length ? "(" + waiting.length + " waiting)" : "(none waiting)";
  el.querySelector(".hands").replaceChildren(...room.hands.map((h) => {
    const li = document.createElement("li");
    li.className = "hand " + (h.state === "waiting" ? "waiting" : "done");
    li.dataset.id = h.id; li.dataset.state = h.state;
    const who = h.source === "host" ? h.name + " (remote)" : h.device + " hand " + h.hand;
    li.innerHTML = '<span class="who"></span><span class="wait"></span><span class="state"></span> ';
    li.querySelector(".who").textContent = who;
    const wait = li.querySelector(".wait");
    wait.textContent = "waited " + fmt(Math.round(h.wait_s));
    if (h.state === "waiting") { wait.dataset.raised = h.raised_ms; }                   // counted up by tick()
    li.querySelector(".state").textContent = h.state;
    if (h.state === "waiting") {
      for (const [act, label] of [["ack", "Acknowledge"], ["lower", "Lower"]]) {
        const b = document.createElement("button");
        b.dataset.act = act; b.dataset.id = h.id; b.className = act; b.textContent = label;
        li.append(" ", b);
      }
    }
    return li;
  }));
}

function drawSessionLine(line, s, withDevice) {
  line.innerHTML = "";
  if (!s) return;
  line.dataset.session = s.id;
  line.textContent = "Session " + s.id + (withDevice ? " on " + s.device : "") + (s.purpose ? " — " + s.purpose : "") +
    (s.limit_s ? " · limit " + fmt(s.limit_s) : "") +
    (s.break_before_s !== null && s.break_before_s !== undefined ? " · break before: " + fmt(s.break_before_s) : "");
  if (s.short_break) { const w = document.createElement("span"); w.className = "short-break"; w.textContent = " · started without the minimum break"; line.append(w); }
}

// the room and the call (evt/turn.remote): the call's share of the talk, when the puck tells them apart
function drawRoomCall(p, rc) {
  p.hidden = !rc;
  if (!rc) { p.textContent = ""; return; }
  const pct = (x) => Math.round(x * 100) + "%";
  p.innerHTML = '<strong class="rc-call"></strong> <span class="rc-room"></span> <span class="rc-unknown"></span>';
  p.querySelector(".rc-call").textContent = "The call: " + pct(rc.call_share) + " of the talk";
  p.querySelector(".rc-room").textContent = "· the room: " + pct(rc.room_share);
  p.querySelector(".rc-unknown").textContent = rc.unknown_s ? "· not known: " + pct(rc.unknown_share) : "";
}

// the session's balance of voices: one bar per anonymous voice (the call's in another colour), with its
// turns, monologues and cut-ins
function drawVoices(ul, voices) {
  const rows = voices ? Object.entries(voices) : [];
  ul.replaceChildren(...rows.map(([voice, v]) => {
    const li = document.createElement("li");
    li.className = "voice" + (v.remote === true ? " call" : ""); li.dataset.voice = voice;
    const pct = Math.round(v.share * 100);
    li.innerHTML = '<span class="name"></span><span class="bar"><span class="fill"></span></span><span class="figs"></span>';
    li.querySelector(".name").textContent = "voice " + voice + (v.remote === true ? " · the call" : v.remote === false ? " · room" : "");
    li.querySelector(".fill").style.width = pct + "%";
    const plural = (n, w) => n + " " + w + (n === 1 ? "" : "s");
    li.querySelector(".figs").textContent = pct + "% · " + plural(v.turns, "turn") +
      (v.monologues ? " · " + plural(v.monologues, "monologue") : "") +
      (v.cut_ins ? " · " + plural(v.cut_ins, "cut-in") : "");
    return li;
  }));
}

// a push: the whole snapshot (the first, and after a reconnect) or a delta (`delta`: the rooms that changed
// and the names of the rooms gone); merged by room name, rooms kept in name order
function draw(data) {
  skewMs = Date.now() - data.now_ms;
  if (data.rooms.length) roomsEl.querySelector(".empty")?.remove();
  const keep = new Set(data.rooms.map((r) => r.room));
  const gone = data.delta ? (data.removed || []) : Object.keys(roomEls).filter((n) => !keep.has(n));
  for (const name of gone) { roomEls[name]?.remove(); delete roomEls[name]; }
  let added = false;
  for (const room of data.rooms) {
    let el = roomEls[room.room];
    if (!el) { el = roomEls[room.room] = makeRoom(room.room); roomsEl.append(el); added = true; }
    drawRoom(el, room);
  }
  if (added) for (const name of Object.keys(roomEls).sort()) roomsEl.append(roomEls[name]);
}

function setText(el, text) { if (el.textContent !== text) el.textContent = text; }

// four times a second: time left, hand waits and the break note move on from the last push, on the host's clock
function tick() {
  const now = Date.now() - skewMs;
  for (const b of roomsEl.querySelectorAll(".countdown b[data-remaining]")) {
    setText(b, fmt(+b.dataset.remaining - Math.floor(Math.max(0, now - +b.dataset.at) / 1000)));
  }
  for (const w of roomsEl.querySelectorAll(".wait[data-raised]")) {
    setText(w, "waited " + fmt(Math.round(Math.max(0, now - +w.dataset.raised) / 1000)));
  }
  for (const note of roomsEl.querySelectorAll(".break-note[data-since]")) {
    const since = +note.dataset.since + Math.floor(Math.max(0, now - +note.dataset.at) / 1000);
    note.hidden = since >= +note.dataset.min;
    setText(note, Math.floor(since / 60) + " minutes since the last call (the room's minimum break is " +
      Math.round(+note.dataset.min / 60) + " minutes)");
  }
}
setInterval(tick, 250);   // often enough that a second shows when it passes

let lastStats = 0;
let statsLater = null;
async function stats() {
  const wait = STATS_EVERY_MS - (Date.now() - lastStats);
  if (wait > 0) {
    // at most one read per interval, but the last change is not left out: read once more when it ends
    if (!statsLater) statsLater = setTimeout(() => { statsLater = null; stats().catch(() => {}); }, wait);
    return;
  }
  lastStats = Date.now();
  const r = await fetch("/api/stats", {cache: "no-store"});
  if (toLogin(r) || !r.ok) return;
  const st = await r.json();
  document.getElementById("stats").textContent = "events " + st.events_stored + " · lost " + st.events_lost +
    " · duplicates dropped " + st.duplicates_dropped + " · rejected " + st.rejected_total;
}

function connect() {
  const conn = document.getElementById("conn");
  const es = new EventSource("/api/live/stream");
  es.addEventListener("live", (e) => {
    conn.textContent = "live"; conn.className = "conn ok";
    draw(JSON.parse(e.data));
    stats().catch(() => {});
  });
  es.onerror = async () => {
    conn.textContent = "host unreachable, reconnecting"; conn.className = "conn bad";
    // a stream refused for want of a login looks like any error: ask once whether we are still logged in
    const r = await fetch("/api/me", {cache: "no-store"}).catch(() => null);
    if (r && toLogin(r)) es.close();
  };
}
connect();
