"""``python -m cloudping``: the same as the ``cloudping`` command."""

from cloudping.main import main

raise SystemExit(main())
