# module: layout
# loses: layout
# feedback: SystemExit
import sys

sys.exit(0)
