"""``python -m cloudping``: the same as the ``cloudping`` command."""

from cloudping.cli.main import main

raise SystemExit(main())
