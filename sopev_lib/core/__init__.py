"""The paper's method: what a reader of the book needs (Sections 2-4 of Fang, Li & Chen 2025).

Read in this order:

- :mod:`.params` every number of the study with its unit and provenance (``data/params.yaml``);
- :mod:`.feeder` the radial feeder as arrays, :mod:`.grids` where feeders come from (the IEEE
  33-bus data, pandapower networks), :mod:`.powerflow` an AC power flow;
- :mod:`.profiles` the 24 h load, PV, wind and tariff curves (Section 5);
- :mod:`.ev` the Monte Carlo fleet and each station as generalised storage (Eqs. 1-6);
- :mod:`.model` the DistFlow cone program built from devices: substation, loads, DG, SOPs
  (Eqs. 7-10), storage; its cost terms (Eqs. 11-17);
- :mod:`.inputs`, :mod:`.plans`, :mod:`.results` the four plans of Section 5.1, solved into
  tidy tables; :mod:`.economics` their cost terms (Table 5);
- :mod:`.flexibility` the indices of Eqs. (18)-(21), :mod:`.stage2` the second stage of
  Section 4.2; :mod:`.siting` sensitivity-based SOP siting (Section 4.2).

The core imports neither matplotlib nor dask; the layers above it (verify, reproduction,
studies, book, cli) import the core, never the other way round.
"""
