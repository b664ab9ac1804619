"""Checks of a solved plan against independent physics: the cone-relaxation gap, the SOP loss
and storage complementarity, an AC power flow (pandapower), and the disaggregation of station
schedules into vehicle schedules. Imports only :mod:`sopev_lib.core`."""
