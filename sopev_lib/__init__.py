"""sopev_lib: the engine under the sopev book.

Executable companion to Fang, Li & Chen, "Electric Vehicle and Soft Open Points Co-Planning for
Active Distribution Grid Flexibility Enhancement", Energies 18 (2025) 694,
doi:10.3390/en18030694. Modules, in the one-way order of DESIGN.md: params -> network -> profiles
-> ev -> model -> plans -> economics -> flexibility -> validate -> report -> plotting.
"""

__version__ = "0.1.0"
