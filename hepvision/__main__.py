import sys

from hepvision.cli.main import main

sys.exit(main())
