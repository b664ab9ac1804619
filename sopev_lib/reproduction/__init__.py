"""The reproduction of the paper: its published values beside ours (Tables 4-6), the audit of
its own arithmetic, claim verdicts, the assumptions study, the calibrated variant and the one
pipeline that solves, verifies and writes the four plans (``sopev reproduce``). Imports
:mod:`sopev_lib.core` and :mod:`sopev_lib.verify`."""
