"""Fast tests of the Microsoft 365 / Entra / Azure rules on typed snapshots built in memory
(``build.py``): no simulator, no connector, milliseconds each."""
