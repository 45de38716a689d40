"""Per-process totals of JAX's compile-stage timings, for whole sweeps (workers and prefetcher included).

    JAXHC_PROF_DIR=/tmp/prof PYTHONPATH=benchmarks/compile_profile \
        python experiments/run.py -m +sweep=table3 solver=monodromy workers=2 progress=false
    python benchmarks/compile_profile/summarize.py /tmp/prof

Python imports ``sitecustomize`` at start-up from ``PYTHONPATH``, so every process of the sweep
(hydra's main process, the spawned workers and the prefetcher) loads this file.  Once JAX is
imported it registers a listener for JAX's own monitoring events (``jax.monitoring``):
``jaxpr_trace_duration``, ``jaxpr_to_mlir_module_duration``, ``backend_compile_duration`` (which
includes loads from the persistent cache), ``compile_time_saved_sec`` and
``cache_retrieval_time_sec``, summed by event and function name, and writes them with the
process's CPU time to ``$JAXHC_PROF_DIR/<pid>.json`` every 5 s and at exit (pool workers are
terminated, hence the periodic writes).  Without ``JAXHC_PROF_DIR`` it does nothing.
"""

import json
import os
import sys
import threading
import time

_DIR = os.environ.get("JAXHC_PROF_DIR")

if _DIR:
    _totals: dict = {}
    _start = time.time()

    def _dump():
        try:
            import multiprocessing

            path = os.path.join(_DIR, f"{os.getpid()}.json")
            with open(path + ".tmp", "w") as f:
                json.dump({"argv": sys.argv[:3], "name": multiprocessing.current_process().name,
                           "wall": time.time() - _start, "cpu": time.process_time(), "tot": _totals}, f)
            os.replace(path + ".tmp", path)
        except Exception:  # profiling must never break the run
            pass

    def _on_duration(event, seconds, **kw):
        if "compile" not in event and "cache" not in event:
            return
        key = event.rsplit("/", 1)[-1] + "|" + str(kw.get("fun_name", ""))
        c = _totals.setdefault(key, [0, 0.0])
        c[0] += 1
        c[1] += seconds

    def _watch():
        # Register only once jax is fully imported (importing it from this thread could race).
        while "jax.numpy" not in sys.modules:
            time.sleep(0.05)
        time.sleep(0.3)
        from jax import monitoring

        monitoring.register_event_duration_secs_listener(_on_duration)
        while True:
            time.sleep(5)
            _dump()

    os.makedirs(_DIR, exist_ok=True)
    threading.Thread(target=_watch, daemon=True).start()
    import atexit

    atexit.register(_dump)
