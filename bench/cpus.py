"""CPU lists for running the database on cores of its own (bench/run section 1e, bench/ab AB_DB_CPUS).

    cpus.py all                 this process's CPUs, as a taskset list ("0,1")
    cpus.py last                the last of them, or "none" on a machine with one CPU
    cpus.py others LIST NAME    the CPUs not in LIST (a taskset list such as "1" or "2-3"); exits
                                with a message naming the setting NAME when LIST is not some of them
"""
import os
import sys

mine = sorted(os.sched_getaffinity(0))
what = sys.argv[1] if len(sys.argv) > 1 else ""
if what == "all":
    print(",".join(map(str, mine)))
elif what == "last":
    print(mine[-1] if len(mine) > 1 else "none")
elif what == "others" and len(sys.argv) == 4:
    chosen = set()
    for part in sys.argv[2].split(","):
        a, _, b = part.partition("-")
        chosen.update(range(int(a), int(b or a) + 1))
    rest = [cpu for cpu in mine if cpu not in chosen]
    if not rest or not chosen <= set(mine):
        sys.exit(f"{sys.argv[3]}={sys.argv[2]} must name some of this machine's CPUs {mine}, not all")
    print(",".join(map(str, rest)))
else:
    sys.exit(__doc__)
