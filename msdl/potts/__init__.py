"""Potts kinetic Monte Carlo microstructures (report sections 2.2-2.4).

- :mod:`msdl.potts.decks`: SPPARKS input decks in current SPPARKS syntax, one per seed.
- :mod:`msdl.potts.dump`: the SPPARKS text-dump parser (final state -> spin array).
- :mod:`msdl.potts.spparks`: the ``spparks`` engine (runs the real executable per seed).
- :mod:`msdl.potts.grain_growth`, :mod:`msdl.potts.melt_pool`: the ``builtin`` engine.
- :mod:`msdl.potts.render`: spin arrays -> grain-boundary images at the report's sizes.
"""

#: The generators of config ``datasets.<name>.generator`` that this package serves.
POTTS_GENERATORS = ("potts_grain_growth", "am_ellipsoid", "potts_weld")
