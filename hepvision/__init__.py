"""hepvision: exercise-form tracking for physical-therapy home exercise programs.

Pipeline stages (each a subpackage, importing only downward)::

    capture -> pose -> filters -> kinematics -> reps / form -> session -> (upload | report)
"""

__version__ = "0.1.0"
