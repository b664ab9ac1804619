"""Studies beyond the paper: sweeps on Dask, robustness over Monte Carlo seeds, sensitivity,
other feeders and planning over many representative days. Imports the layers below it
(core, verify, reproduction)."""
