"""Exit statuses of the ``cloudping`` command, as iputils ping's.

0 when any job got an answer, 1 when jobs ran and none did, 2 for a usage error or a
measurement that could not run at all.
"""

EXIT_REPLIES, EXIT_NO_REPLY, EXIT_ERROR = 0, 1, 2
