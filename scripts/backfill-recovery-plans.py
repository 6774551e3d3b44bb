#!/usr/bin/env python3
"""Backfill accountId for existing Recovery Plans (dry run unless --apply). See scripts/backfill_plans.py.

python scripts/backfill-recovery-plans.py --plans-table NAME --groups-table NAME [--apply]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.backfill_plans import backfill_recovery_plans

if __name__ == "__main__":
    sys.exit(backfill_recovery_plans())
