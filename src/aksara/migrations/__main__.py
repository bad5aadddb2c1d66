"""``python -m aksara.migrations init migrations [--models blog.models]``."""

import sys

from aksara.migrations.scaffold import main

sys.exit(main())
