"""Hardware generators: one sub-package per family, each parameterized by a frozen dataclass.

Importing ``hw`` is cheap; Amaranth is imported only when a component is built.
"""
