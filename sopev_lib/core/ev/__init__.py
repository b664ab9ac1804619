"""The EV fleet as generalised storage (Section 2 of the paper).

- :mod:`~sopev_lib.core.ev.fleet`: Monte Carlo vehicles of Tables 1-3 (Eqs. 2-3).
- :mod:`~sopev_lib.core.ev.envelopes`: each station as generalised storage, Eqs. (1), (4)-(6).
- :mod:`~sopev_lib.core.ev.forecast`: day-ahead forecast and real-time assessment (2.3-2.4).
"""
