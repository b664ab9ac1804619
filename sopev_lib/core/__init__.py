"""The paper's method, Sections 2-4 of Fang, Li & Chen (2025): what a reader of the book needs.

Read in this order:

- :mod:`.ev` the Monte Carlo fleet and each charging station as generalised storage (Eqs. 1-6);
- :mod:`.storage` the storage envelope handed from the fleet to the model;
- :mod:`.model` the DistFlow cone program built from devices: substation, loads, DG, SOPs
  (Eqs. 7-10), storage, and its cost terms (Eqs. 11-17);
- :mod:`.inputs`, :mod:`.plans`, :mod:`.results` the four plans of Section 5.1, solved into
  tidy tables; :mod:`.economics` their cost terms (Tables 4-5);
- :mod:`.flexibility` the indices of Eqs. (18)-(21), :mod:`.stage2` the second stage of
  Section 4.2, :mod:`.siting` sensitivity-based SOP siting (Section 4.2).

It builds on :mod:`sopev_lib.system` (parameters, feeders, profiles, AC power flow). The core
imports neither matplotlib nor dask; the layers above it (verify, reproduction, studies, book,
cli) import the core, never the other way round.
"""
