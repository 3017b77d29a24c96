#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# docs/bpftool.md holds: with an observer running and traffic on it,
# `bpftool map dump pinned` works on every pinned map and prints keys and
# values under the field names of the C structs in include/biothings/
# (BTF), the connection map of the hooks in use (bt_sk_conns, or bt_conns
# with capture.hooks: syscall) holds the connection a client keeps open,
# bt_config the
# observer's pid; every pinned map is in the page's table; the observer's
# programs and links are found the way the page says; and every sh block
# of the page runs and prints something.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init bpftool

OBS_PORT=19620
PY_PORT=18620
DOC=$BT_ROOT/docs/bpftool.md
CONN_H=$BT_ROOT/include/biothings/conn.h

bt_pyserver_start "$PY_PORT"
bt_observer_start "$OBS_PORT"
# a keep-alive connection opened after start and held, so the map has it
"$BT_PY" -c '
import http.client, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
c.request("GET", "/cl/1"); c.getresponse().read()
print("holding", flush=True)
time.sleep(60)' "$PY_PORT" >"$BT_ART/holder.log" 2>&1 &
HOLDER=$!
bt_track "$HOLDER" holder
for _ in 1 2 3; do curl -s -o /dev/null "http://127.0.0.1:$PY_PORT/cl/5"; done
for _ in $(seq 50); do grep -q holding "$BT_ART/holder.log" && break; sleep 0.1; done
sleep 0.3

# ---- every pinned map: shown, dumped as JSON, fields named as in C
maps=$(find "$BT_PIN_DIR" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')
bt_log "pinned under $BT_PIN_DIR: $maps"
[ -n "$maps" ] || bt_fail "nothing pinned under $BT_PIN_DIR"
for m in $maps; do
	grep -q "^| \`$m\` |" "$DOC" || bt_check_fail "pinned map $m is not in the table of docs/bpftool.md"
	bpftool -j map show pinned "$BT_PIN_DIR/$m" >"$BT_ART/show-$m.json" 2>"$BT_TMP/err" ||
		bt_check_fail "bpftool map show pinned $m: $(cat "$BT_TMP/err")"
	# a ring buffer has no keys to walk: bpftool prints [] and exits non-zero
	if bpftool -j map dump pinned "$BT_PIN_DIR/$m" >"$BT_ART/dump-$m.json" 2>"$BT_TMP/err"; then
		:
	elif ! grep -q '"type":"ringbuf"' "$BT_ART/show-$m.json"; then
		bt_check_fail "bpftool map dump pinned $m: $(cat "$BT_TMP/err")"
	fi
done

# shellcheck disable=SC2086 # one argument per map name
PYTHONPATH=$BT_E2E_DIR python3 - "$BT_ART" "$CONN_H" "$BT_OBS_PID" "$HOLDER" "$BT_PYS_PID" "$PY_PORT" "$(bt_conns_map)" $maps <<'EOF' || bt_check_fail "map dumps (see above)"
import json, os, re, subprocess, sys

art, conn_h, obs, holder, server, port, CONNS = sys.argv[1:8]
maps = sys.argv[8:]
# key and value types of the maps, as include/biothings/conn.h documents them
TYPES = {
    "bt_conns": ("bt_conn_key", "bt_conn"),
    "bt_sk_conns": (None, "bt_conn"),
    "bt_tls_conns": ("bt_tls_key", "bt_conn"),
    "bt_config": (None, "bt_config"),
    "bt_capture_paths": (None, "bt_capture_path"),
    "bt_retransmits": ("bt_retrans_key", None),
}
# maps whose key and value are plain numbers: nothing to name
SCALAR = ("bt_counters", "bt_db_ports", "bt_listen_ports", "bt_ignore_comms", "bt_ignore_cgroups")
src = re.sub(r"/\*.*?\*/|//[^\n]*", "",
             open(conn_h).read() + open(os.path.join(os.path.dirname(conn_h), "events.h")).read(),
             flags=re.S)

def members(struct):
    body = re.search(r"struct %s \{(.*?)\};" % struct, src, re.S).group(1)
    names = []
    for decl in body.split(";"):
        decl = decl.strip()
        if not decl:
            continue
        # "__u8 laddr[16]", "struct h1_dir req", "__u32 uid, euid"
        head, _, rest = decl.rpartition(" ")
        for d in (head.split()[-1] + " " + rest if "," in decl else rest).split(","):
            names.append(re.sub(r"\[.*", "", d.strip().split()[-1]).lstrip("*"))
    return names

fails = 0
def fail(msg):
    global fails
    fails += 1
    print("    FAIL:", msg)

# bt_rings: the layout docs/capture.md gives (tests/e2e/ring_layout.py)
def check_rings(m, dump):
    import ring_layout
    ids = [int.from_bytes(bytes(int(b, 16) for b in e["value"]), "little") for e in dump]
    shared = json.load(open(os.path.join(art, "show-bt_events.json")))["id"]
    for b in ring_layout.problems(ids, shared):
        fail(f"{m}: {b}")

for m in maps:
    show = json.load(open(os.path.join(art, f"show-{m}.json")))
    dump = json.load(open(os.path.join(art, f"dump-{m}.json")))
    kind = show["type"]
    print(f"    {m}: {kind}, id {show['id']}, btf_id {show.get('btf_id')}, {len(dump)} entries")
    if kind == "ringbuf":
        if dump:
            fail(f"{m}: a ringbuf dumped entries")
        continue
    if kind == "array_of_maps":
        check_rings(m, dump)
        continue
    if not show.get("btf_id"):
        fail(f"{m}: no BTF, so no field names")
    if not m.startswith(show["name"]):
        fail(f"{m}: map named {show['name']}")
    if not dump and m in (CONNS, "bt_config", "bt_capture_paths", "bt_counters"):
        fail(f"{m}: empty")
    for e in dump:
        if "formatted" not in e:
            fail(f"{m}: entry without BTF-formatted key/value: {str(e)[:120]}")
            break
    if m not in TYPES:
        if m not in SCALAR:
            fail(f"{m}: the test does not know its key and value structs")
        continue
    kt, vt = TYPES[m]
    for e in dump[:50]:
        f = e.get("formatted", {})
        if kt and sorted(f.get("key", {})) != sorted(members(kt)):
            fail(f"{m}: key fields {sorted(f.get('key', {}))}, struct {kt} has {sorted(members(kt))}")
            break
        if vt and sorted(f.get("value", {})) != sorted(members(vt)):
            fail(f"{m}: value fields {sorted(f.get('value', {}))}, struct {vt} has {sorted(members(vt))}")
            break
    else:
        if dump:
            print(f"      fields named as in struct {kt + ' -> ' if kt else ''}{vt}: {', '.join(members(vt or kt)[:6])}, ...")

def entries(m):
    return [e["formatted"] for e in json.load(open(os.path.join(art, f"dump-{m}.json"))) if "formatted" in e]

cfg = entries("bt_config")
if not cfg or str(cfg[0]["value"]["self_tgid"]) != obs:
    fail(f"bt_config self_tgid is not the observer's pid {obs}: {cfg[:1]}")
conns = entries(CONNS)
tgid = (lambda c: c["value"]["owner_tgid"]) if CONNS == "bt_sk_conns" else (lambda c: c["key"]["tgid"])
cl = [c for c in conns if str(tgid(c)) == holder and c["value"]["rport"] == int(port)]
sv = [c for c in conns if str(tgid(c)) == server and c["value"]["lport"] == int(port)]
print(f"    {CONNS}: client pid {holder} -> port {port}: {len(cl)} entry, server pid {server} on port {port}: {len(sv)}")
if not cl or cl[0]["value"]["role"] != 2:
    fail(f"{CONNS} lacks the held client connection (role 2, rport = the server's port)")
if not sv or all(c["value"]["role"] != 1 for c in sv):
    fail(f"{CONNS} lacks the server side of the held connection (role 1, lport = port)")
sys.exit(1 if fails else 0)
EOF

# ---- programs and links, found through the pinned bt_counters map (all use it)
conns_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$BT_ART/show-bt_counters.json")
bpftool -j prog show >"$BT_ART/progs.json"
bpftool -j link show >"$BT_ART/links.json"
python3 - "$BT_ART/progs.json" "$BT_ART/links.json" "$conns_id" <<'EOF' || bt_check_fail "programs or links"
import json, sys
progs = [p for p in json.load(open(sys.argv[1])) if p.get("name", "").startswith("bt_") and int(sys.argv[3]) in p.get("map_ids", [])]
ids = {p["id"] for p in progs}
links = [l for l in json.load(open(sys.argv[2])) if l.get("prog_id") in ids]
types = sorted({p["type"] for p in progs})
linked = {l["prog_id"] for l in links}
print(f"    {len(progs)} bt_* programs use bt_counters ({', '.join(types)}), {len(links)} links attach {len(linked)} of them")
bad = [p["name"] for p in progs if not p.get("btf_id")]
tp = [p["name"] for p in progs if p["type"] in ("tracepoint", "tracing") and p["id"] not in linked]
if not progs or bad or not links or tp:
    print(f"    no BTF: {bad}; tracepoint programs without a link: {tp}")
    sys.exit(1)
EOF

# ---- every sh block of the page runs against this observer
if command -v jq >/dev/null 2>&1; then
	python3 - "$DOC" "$BT_TMP/block" <<'EOF'
import re, sys
blocks = re.findall(r"^```sh\n(.*?)^```", open(sys.argv[1]).read(), re.S | re.M)
for i, b in enumerate(blocks):
    open(f"{sys.argv[2]}.{i}", "w").write(b)
print(len(blocks))
EOF
	n=0
	for b in "$BT_TMP"/block.*; do
		n=$((n + 1))
		out=$BT_ART/doc-${b##*.}.out
		# no pipefail: "| head" ends bpftool with SIGPIPE, as it would for
		# a reader; bpftool's own failures say "Error:" on stderr
		if PIN=$BT_PIN_DIR bash -c "set -e; $(cat "$b")" >"$out" 2>"$out.err" && [ -s "$out" ] &&
			! grep -q 'Error' "$out.err"; then
			bt_log "docs block ${b##*.} ($(head -n 1 "$b" | cut -c1-60)...): $(wc -l <"$out") lines"
		else
			bt_check_fail "docs/bpftool.md block ${b##*.} failed or printed nothing: $(head -n 5 "$out.err" "$out")"
		fi
	done
	[ "$n" -ge 5 ] || bt_check_fail "only $n sh blocks found in docs/bpftool.md"
else
	bt_log "NOT CHECKED: jq is not installed, the sh blocks of docs/bpftool.md were not run"
fi

kill -TERM "$HOLDER" 2>/dev/null
bt_observer_stop_checked
bt_finish
