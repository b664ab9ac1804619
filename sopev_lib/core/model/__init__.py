"""The DistFlow SOCP planning model, built from composable parts (see DESIGN.md)."""

from sopev_lib.core.model.context import COST_KEYS, BuildContext, Device
from sopev_lib.core.model.distflow import DistFlowNetwork
from sopev_lib.core.model.loads import BusLoad, CurtailableDG, ProfileLoad, Substation
from sopev_lib.core.model.problem import (
    InfeasiblePlanError,
    ModelSolution,
    PlanningModel,
    SolveInfo,
)
from sopev_lib.core.model.sop import SoftOpenPoints
from sopev_lib.core.model.storage import EnvelopeStorage, SizedStorage

__all__ = [
    "COST_KEYS",
    "BuildContext",
    "BusLoad",
    "CurtailableDG",
    "Device",
    "DistFlowNetwork",
    "EnvelopeStorage",
    "InfeasiblePlanError",
    "ModelSolution",
    "PlanningModel",
    "ProfileLoad",
    "SizedStorage",
    "SoftOpenPoints",
    "SolveInfo",
    "Substation",
]
