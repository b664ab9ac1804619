"""The test system: what the paper's method is applied to (Section 5 and chapter 1 of the book).

- :mod:`.params` every number of the study with its unit and provenance (``data/params.yaml``);
- :mod:`.feeder` a radial feeder as arrays, :mod:`.grids` where feeders come from (the IEEE
  33-bus data of ref. [28], pandapower networks such as CIGRE MV), :mod:`.powerflow` an AC
  power flow (pandapower);
- :mod:`.profiles` the 24 h load, PV, wind and tariff curves;
- :mod:`.paths`, :mod:`.io`, :mod:`.text` where the data live, JSON output, short texts.

The lowest layer: it imports no other part of ``sopev_lib``; the method (:mod:`sopev_lib.core`)
builds on it.
"""
