#!/usr/bin/env python3
"""One email subscription per address for every plan (dry run unless --apply). See
scripts/migrate_subscriptions.py.

python scripts/migrate-subscriptions.py [--apply]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.migrate_subscriptions import migrate_subscriptions

if __name__ == "__main__":
    sys.exit(migrate_subscriptions())
