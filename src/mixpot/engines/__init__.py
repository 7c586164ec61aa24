"""Engines that run a mixed simulation: LAMMPS under MPI (:mod:`.lammps`)."""
