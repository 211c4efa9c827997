"""BGP routes from MRT dumps: a lean TABLE_DUMP_V2 reader, a SQLite store swapped a
generation at a time, and the queries the ``route`` command asks."""
