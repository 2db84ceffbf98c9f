"""The full-size crash drill: 50 merchants fill in the form while the bot is SIGKILLed.

Prints how long it took and how many restarts happened, and checks that every merchant's
application is complete and exactly as entered (the reduced drill runs in `make test`).
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from tests.reliability.crash import Drill, run_drill, stored_answers


async def _run(merchants: int, kills: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        drill = Drill(data_dir=Path(tmp), merchants=merchants, kills=kills)
        figures = await run_drill(drill, timeout=600)
        stored = await stored_answers(Path(tmp), merchants)
        complete = sum(
            1
            for i, answers in enumerate(stored.values())
            if answers
            and answers.get("merchant_name") == f"杭州西湖第{i}号便利店"
            and len(answers) == 17
        )
        figures["complete_and_exact"] = complete
        return figures


def main(merchants: int = 50, kills: int = 8) -> dict[str, Any]:
    """Run the drill once and print the figures."""
    figures = asyncio.run(_run(merchants, kills))
    print(
        f"crash drill: {figures['merchants']} merchants, {figures['restarts']} SIGKILL restarts,"
        f" {figures['complete_and_exact']} applications complete and exact,"
        f" {figures['seconds']} s"
    )
    return figures


if __name__ == "__main__":
    main()
