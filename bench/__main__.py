"""``python -m bench [--services] [--quick] [--only NAME]``"""

import sys

from bench.runner import main

sys.exit(main())
