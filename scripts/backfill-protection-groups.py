#!/usr/bin/env python3
"""Backfill accountId for existing Protection Groups (dry run unless --apply). See scripts/backfill.py.

    python scripts/backfill-protection-groups.py --groups-table NAME --claims-table NAME \
        [--default-account-id 123456789012] [--apply]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.backfill import backfill_protection_groups

if __name__ == "__main__":
    sys.exit(backfill_protection_groups())
