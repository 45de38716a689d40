"""Print the totals that ``sitecustomize.py`` wrote: per process, then for the whole run.

    python benchmarks/compile_profile/summarize.py /tmp/prof [top-k functions per process]
"""

import collections
import glob
import json
import sys

STAGES = ("jaxpr_trace_duration", "jaxpr_to_mlir_module_duration", "backend_compile_duration")


def main(argv):
    folder, top = argv[0], int(argv[1]) if len(argv) > 1 else 0
    cpu_all = stages_all = 0.0
    for f in sorted(glob.glob(folder + "/*.json")):
        d = json.load(open(f))
        if d["cpu"] < 1:
            continue
        ev = collections.defaultdict(lambda: [0, 0.0])
        fn = collections.Counter()
        for k, (n, t) in d["tot"].items():
            e, name = k.split("|", 1)
            ev[e][0] += n
            ev[e][1] += t
            fn[(e, name)] += t
        stages = sum(ev[e][1] for e in STAGES)
        cpu_all += d["cpu"]
        stages_all += stages
        print(f"{d['name']} (pid file {f.rsplit('/', 1)[-1]}): CPU {d['cpu']:.0f} s, trace + lower + compile "
              f"{stages:.0f} s ({100 * stages / max(d['cpu'], 1e-9):.0f}%)")
        for e, (n, t) in sorted(ev.items(), key=lambda x: -x[1][1]):
            print(f"    {e:34s} {n:6d} events {t:8.1f} s")
        for (e, name), t in fn.most_common(top):
            print(f"      {e:34s} {name:28s} {t:7.1f} s")
    print(f"all processes: CPU {cpu_all:.0f} s, trace + lower + compile {stages_all:.0f} s "
          f"({100 * stages_all / max(cpu_all, 1e-9):.0f}%)")


if __name__ == "__main__":
    main(sys.argv[1:])
