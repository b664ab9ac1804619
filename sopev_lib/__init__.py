"""sopev_lib: the engine under the sopev book.

Executable companion to Fang, Li & Chen, "Electric Vehicle and Soft Open Points Co-Planning for
Active Distribution Grid Flexibility Enhancement", Energies 18 (2025) 694,
doi:10.3390/en18030694.

Map of the code, in layers; a layer imports only the ones above it in this list
(``tests/test_architecture.py`` checks it):

- :mod:`sopev_lib.system` the test system: parameters with provenance, feeders, profiles, an AC
  power flow;
- :mod:`sopev_lib.core` the paper's method: EV fleet as generalised storage (Eqs. 1-6), the
  DistFlow cone program and its devices (SOP Eqs. 7-10, costs Eqs. 11-17), the four plans,
  flexibility (Eqs. 18-21), stage 2, siting;
- :mod:`sopev_lib.verify` checks of a solution: cone gap, SOP loss, AC power flow,
  disaggregation into vehicles;
- :mod:`sopev_lib.reproduction` the paper beside us: Tables 4-6, audit, claims, assumptions,
  calibration, the ``sopev reproduce`` pipeline;
- :mod:`sopev_lib.studies` beyond the paper: sweeps on Dask, robustness, sensitivity, other
  feeders, many days;
- :mod:`sopev_lib.book` what the chapters share: glue, tables, figure style and figures;
- :mod:`sopev_lib.cli` the ``sopev`` command.
"""

__version__ = "0.1.0"
