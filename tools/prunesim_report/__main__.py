import sys

from prunesim_report.cli import main

sys.exit(main(sys.argv[1:]))
