"""Local fake servers speaking each provider's wire format, fed by the simulated market.

``base`` holds the fault-injecting HTTP server; one module per provider builds its routes
with ``make_server(market, port=0, faults=None)``. ``python -m vvv_pipeline_tests.fakes``
runs one as a sandbox.
"""

from vvv_pipeline_tests.fakes.base import (
    FAULT_KINDS,
    FakeHttpServer,
    FakeRequest,
    FakeResponse,
    Fault,
    FaultPlan,
    Handler,
)

__all__ = [
    "FAULT_KINDS",
    "FakeHttpServer",
    "FakeRequest",
    "FakeResponse",
    "Fault",
    "FaultPlan",
    "Handler",
]
