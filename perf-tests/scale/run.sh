#!/usr/bin/env bash
# One row of the scale table (docs/PERFORMANCE.md, "Scale"): `lurm generate` -> `lurm fit` -> `lurm encode`
# through the real CLI at EVENTS events, with the same generator settings for every row (only --users changes:
# users = EVENTS / EVENTS_PER_USER, the generator's mean events per user). Records each stage's seconds as fit
# and encode print them, each command's peak RSS (/usr/bin/time -v) and the heap setting, and prints one
# markdown table row and one JSON line (also appended to OUT/scale.jsonl). Timings are never asserted.
#
# Usage: perf-tests/scale/run.sh EVENTS [OUT]         e.g. perf-tests/scale/run.sh 6250000
#   OUT               working folder (default perf-tests/target/scale-EVENTS); the events file, model and
#                     embeddings stay there unless CLEAN=1, with each command's stdout/stderr
#   ITEMS=200000      catalogue size, the same for every row (fit's automatic K = items/2 = 10^5)
#   EVENTS_PER_USER=100  YEARS=5  SEED=42      generator settings (lurm generate's defaults but ITEMS)
#   HEAP=16g          -Xmx of every command (LURM_JAVA_OPTS)
#   THREADS=0         --threads (0: all cores)
#   FIT_OPTS=""       extra options for lurm fit (e.g. "--smen-steps 500"); the row records them
#   PARSE_ONLY=1      only summarise the outputs already in OUT
#   FLOORS=0          skip the floors step (ScaleFloors: one-thread inflate + newline count of the events file,
#                     triad memory bandwidth, sequential write), run after encode on the same machine, from which
#                     the per-stage floor table is printed
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -ge 1 ] || { sed -n '2,18p' "$0" >&2; exit 2; }
events=$1
[[ "$events" =~ ^[0-9]+(\.[0-9]+)?([eE][0-9]+)?$ ]] || { echo "EVENTS must be a number such as 6250000 or 6.25e6, got '$events'" >&2; exit 2; }
events=$(python3 -c "print(int(float('$events')))")
out=${2:-$root/perf-tests/target/scale-$events}
items=${ITEMS:-200000}
per_user=${EVENTS_PER_USER:-100}
years=${YEARS:-5}
seed=${SEED:-42}
heap=${HEAP:-16g}
threads=${THREADS:-0}
fit_opts=${FIT_OPTS:-}
users=$(python3 -c "print(max(1, round($events / $per_user)))")
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (GNU time, package 'time') for the peak RSS" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
lurm="$root/bin/lurm"
export LURM_JAVA_OPTS="-Xmx$heap ${LURM_JAVA_OPTS:-}"

"$lurm" --version >/dev/null   # builds the CLI when needed, outside the timed commands
floors=${FLOORS:-1}
if [ "$floors" = 1 ] && [ "${PARSE_ONLY:-0}" != 1 ]; then
  . "$root/bin/java-home.sh"
  (cd "$root" && ./mvnw -q -B -ntp compile -pl perf-tests -am -DskipTests)
fi
ev=(--header --user-col user_id --item-col item_id --time-col ts --type-col type)

# run NAME COMMAND...: stdout/stderr to OUT/NAME.{out,err}, /usr/bin/time -v to OUT/NAME.time
run() {
  local name=$1; shift
  echo "[scale] $name: $*" >&2
  if ! /usr/bin/time -v -o "$out/$name.time" "$@" >"$out/$name.out" 2>"$out/$name.err"; then
    echo "[scale] $name failed; the last lines of $out/$name.err:" >&2
    tail -20 "$out/$name.err" >&2
    exit 1
  fi
  cat "$out/$name.out" >&2
}

if [ "${PARSE_ONLY:-0}" != 1 ]; then
run generate "$lurm" generate --users "$users" --items "$items" --years "$years" --events-per-user "$per_user" --seed "$seed" \
  --threads "$threads" --progress plain --labels "$out/labels.csv.gz" -o "$out/events.csv.gz"
weights=$(sed -n 's/.*--type-weights \([^ ]*\).*/\1/p' "$out/generate.out" | head -1)
# shellcheck disable=SC2086
run fit "$lurm" fit --events "$out/events.csv.gz" "${ev[@]}" --type-weights "$weights" --seed "$seed" --threads "$threads" --progress plain \
  $fit_opts -o "$out/model.lurm"
run encode "$lurm" encode --model "$out/model.lurm" --events "$out/events.csv.gz" "${ev[@]}" --threads "$threads" --progress plain \
  -o "$out/users.emb"
if [ "$floors" = 1 ]; then
  run floors "$JAVA_HOME/bin/java" -cp "$root/java-api/target/classes:$root/perf-tests/target/classes" org.lurm.perf.ScaleFloors \
    --file "$out/events.csv.gz" --dir "$out"
fi
fi

python3 - "$out" "$events" "$users" "$items" "$per_user" "$years" "$seed" "$heap" "$fit_opts" <<'EOF'
import json, os, re, sys, datetime, platform
out, target, users, items, per_user, years, seed, heap, fit_opts = sys.argv[1:]
def text(name): return open(os.path.join(out, name)).read()
def num(s): return float(s.replace(',', ''))
def find(pattern, s, name):
    m = re.search(pattern, s)
    if not m: sys.exit(f"[scale] no '{pattern}' in {name}:\n{s}")
    return m
def stages(s, name):
    m = find(r"time +([\d.]+) s in all \(([^)]*)\)", s, name)
    d = {'total': float(m.group(1))}
    for part in m.group(2).split(', '):
        k, v = part.rsplit(' ', 2)[0], part.rsplit(' ', 2)[1]
        d[k] = float(v)
    return d
def peak(name):
    t = text(name + '.time')
    return {'peak_rss_gib': int(find(r"Maximum resident set size \(kbytes\): (\d+)", t, name).group(1)) / 2**20,
            'wall_s': wall(find(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", t, name).group(1))}
def wall(s):
    parts = [float(p) for p in s.split(':')]
    sec = 0
    for p in parts: sec = sec * 60 + p
    return sec
g, f, e = text('generate.out'), text('fit.out'), text('encode.out')
gm = find(r"lurm generate: ([\d,]+) events of ([\d,]+) users and ([\d,]+) items written to \S+ \(([\d.]+) MB", g, 'generate.out')
fm = find(r"events +([\d,]+) events, ([\d,]+) users, ([\d,]+) items", f, 'fit.out')
km = find(r"K = (\d+) interests, ([\d,]+) BoI rows \(([\d,]+) events of items without an interest skipped\)", f, 'fit.out')
sm = find(r"SMEN +M = \d+ anchors x d' = \d+ \((\d+) floats per user\), (\d+) steps", f, 'fit.out')
em = find(r"lurm encode: ([\d,]+) users x (\d+) floats", e, 'encode.out')
ea = find(r"events +([\d,]+) events, ([\d,]+) aggregated, ([\d,]+) skipped", e, 'encode.out')
row = {
    'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d'),
    'machine': f"{os.cpu_count()} cores, {platform.machine()}",
    'command': f"perf-tests/scale/run.sh {target}" + (f" (FIT_OPTS='{fit_opts}')" if fit_opts else ''),
    'target_events': int(target), 'events': int(num(gm.group(1))), 'users': int(num(gm.group(2))), 'items_present': int(num(gm.group(3))),
    'items': int(items), 'events_per_user': float(per_user), 'years': float(years), 'seed': int(seed), 'heap': '-Xmx' + heap,
    'events_file_mb': num(gm.group(4)), 'K': int(km.group(1)), 'boi_rows': int(num(km.group(2))), 'fit_skipped_events': int(num(km.group(3))),
    'smen_steps': int(sm.group(2)), 'floats_per_user': int(sm.group(1)),
    'encoded_users': int(num(em.group(1))), 'encode_aggregated_events': int(num(ea.group(2))), 'encode_skipped_events': int(num(ea.group(3))),
    'generate': {'total': float(find(r"time +([\d.]+) s \(", g, 'generate.out').group(1)), **peak('generate')},
    'fit': {**stages(f, 'fit.out'), **peak('fit')},
    'encode': {**stages(e, 'encode.out'), **peak('encode')},
    'model_mb': os.path.getsize(os.path.join(out, 'model.lurm')) / 1e6, 'embeddings_mb': os.path.getsize(os.path.join(out, 'users.emb')) / 1e6,
}
assert row['events'] == int(num(fm.group(1))) and row['users'] == int(num(fm.group(2))) and row['items_present'] == int(num(fm.group(3))), "fit read other counts than generate wrote"
assert row['encoded_users'] == row['users'], "not every user encoded"
fi, en = row['fit'], row['encode']
cells = [f"{row['events']:,}", f"{row['users']:,}", f"{row['items_present']:,} / {row['items']:,}", f"{row['K']:,}",
         f"{row['generate']['total']:.1f}",
         f"{fi['read']:.1f} / {en['read']:.1f}", f"{fi['embed']:.1f}", f"{fi['cluster']:.1f}", f"{fi['aggregate']:.1f} / {en['aggregate']:.1f}",
         f"{fi['train']:.1f} ({row['smen_steps']} steps)", f"{en['encode']:.1f}", f"{fi['write']:.1f} / {en['write']:.1f}",
         f"{fi['total']:.1f} / {en['total']:.1f}",
         f"{row['generate']['peak_rss_gib']:.1f} / {fi['peak_rss_gib']:.1f} / {en['peak_rss_gib']:.1f}", row['heap']]
print("| events | users | items with events / catalogue | K | generate s | read s (fit / encode) | embed s | k-means s | aggregate s (fit / encode) "
      "| SMEN training s | encoding s | write s (model / embeddings) | fit / encode total s | peak RSS GiB (generate / fit / encode) | heap |")
print("|" + "---:|" * (len(cells) - 1) + "---|")
print("| " + " | ".join(cells) + " |")
fa = re.search(r"aggregate BoI: done, [\d,]+ events in [\d.]+ s \([^)]*\), ([\d,]+) rows, ([\d,]+) non-zeros", text('fit.err'))
if os.path.exists(os.path.join(out, 'floors.out')) and fa:
    fl = json.loads(text('floors.out').strip().splitlines()[-1])
    R, N, E, U, W = int(num(fa.group(1))), int(num(fa.group(2))), row['events'], row['users'], row['floats_per_user']
    bw, wr = fl['triad_gbs'] * 1e9, fl['write_gbs'] * 1e9
    agg_bytes = E * 24 + N * 8 + R * 24
    enc_bytes = N * 8 + R * 24 + U * W * 4
    floors = [
        ('read (fit)', fi['read'], 'one thread: inflate + count newlines of the same file', fl['read_floor_s']),
        ('read (encode)', en['read'], 'the same', fl['read_floor_s']),
        ('aggregate (fit)', fi['aggregate'], f"E x 24 + N x 8 + R x 24 = {agg_bytes / 1e9:.2f} GB at the triad bandwidth", agg_bytes / bw),
        ('aggregate (encode)', en['aggregate'], 'the same', agg_bytes / bw),
        ('encode (SMEN forward)', en['encode'], f"BoI rows read + vectors written = {enc_bytes / 1e9:.2f} GB at the triad bandwidth (a memory floor; the forward is compute-bound)", enc_bytes / bw),
        ('write embeddings', en['write'], f"{row['embeddings_mb']:.0f} MB at the sequential write rate", row['embeddings_mb'] * 1e6 / wr),
        ('write model', fi['write'], f"{row['model_mb']:.0f} MB at the sequential write rate", row['model_mb'] * 1e6 / wr),
    ]
    print()
    print(f"floors measured after the run: triad {fl['triad_gbs']:.1f} GB/s ({fl['threads']} threads), sequential write {fl['write_gbs']:.2f} GB/s, "
          f"one-thread inflate + newline count {fl['read_floor_s']:.2f} s; R = {R:,} BoI rows, N = {N:,} non-zeros")
    print("| stage | seconds | floor counted as | floor s | share of the floor |")
    print("|---|---:|---|---:|---:|")
    for name, secs, how, f_s in floors:
        print(f"| {name} | {secs:.1f} | {how} | {f_s:.2f} | {100 * f_s / max(secs, 1e-9):.0f} % |")
    print("| embed, k-means, SMEN training | | compute-bound: no byte floor (the SVD's sparse products: CsrProductBenchmark) | | |")
    row['floors'] = {'measured': fl, 'boi_rows': R, 'boi_nnz': N,
                     'stages': {name: {'seconds': secs, 'floor_s': round(f_s, 4)} for name, secs, how, f_s in floors}}
line = json.dumps(row, sort_keys=False)
print(line)
with open(os.path.join(out, 'scale.jsonl'), 'a') as fh: fh.write(line + "\n")
EOF
if [ "${CLEAN:-0}" = 1 ]; then rm -f "$out/events.csv.gz" "$out/labels.csv.gz" "$out/model.lurm" "$out/users.emb"; fi
