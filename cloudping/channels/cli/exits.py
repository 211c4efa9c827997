"""Exit statuses of the ``cloudping`` command, as iputils ping's.

0 when any job got an answer, 1 when jobs ran and none did, 2 for a usage error, a
measurement that could not run at all, or one whose stream the hub stopped or lost before
its end (what arrived is printed, but the measurement is not whole).
"""

EXIT_REPLIES, EXIT_NO_REPLY, EXIT_ERROR = 0, 1, 2
