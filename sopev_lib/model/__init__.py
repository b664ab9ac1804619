"""The DistFlow SOCP planning model, built from composable parts (see DESIGN.md)."""

from sopev_lib.model.core import COST_KEYS, BuildContext, Device
from sopev_lib.model.devices import (
    BusLoad,
    CurtailableDG,
    EnvelopeStorage,
    ProfileLoad,
    SizedStorage,
    SoftOpenPoints,
    Substation,
)
from sopev_lib.model.network import DistFlowNetwork
from sopev_lib.model.problem import InfeasiblePlanError, ModelSolution, PlanningModel, SolveInfo

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
