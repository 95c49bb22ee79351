"""A separate writer process for the concurrency and crash tests.

    python writer_process.py threads PATH PROCESS_ID THREADS COUNT
    python writer_process.py forever PATH SIZE

`threads` captures COUNT examples from each of THREADS threads; `forever`
captures SIZE-byte examples until killed, printing each finished number.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fine_tuning_capture as ftc


def content(key: str, size: int = 300) -> tuple[str, str, str]:
    """The deterministic fields of example *key*, with fences and headers inside to stress the format."""
    filler = (f"{key} ```\n{ftc.RULE}\n## Example Captured: {key}\n" * (size // 100 + 1))[:size]
    return f"question {key}\n{filler}", f"prompt {key}\n{filler}", f"reply {key}\n{filler}"


def write_from_threads(path: str, process_id: str, threads: int, count: int) -> None:
    def work(thread_id: int) -> None:
        for n in range(count):
            key = f"p{process_id}-t{thread_id}-n{n}"
            ftc.capture_fine_tuning_example(*content(key), "great", {"key": key}, path=path)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def write_forever(path: str, size: int) -> None:
    n = 0
    while True:
        key = f"k{n}"
        ftc.capture_fine_tuning_example(*content(key, size), "great", {"key": key}, path=path)
        print(key, flush=True)
        n += 1


if __name__ == "__main__":
    mode, path, *args = sys.argv[1:]
    if mode == "threads":
        write_from_threads(path, args[0], int(args[1]), int(args[2]))
    else:
        write_forever(path, int(args[0]))
