"""The CloudFront Functions runtime: QuickJS with CloudFront's restrictions, run in killable worker processes.

Shared by the edge (viewer-request functions on real requests) and the control plane (TestFunction):

    runtime.py   the API both callers use (CompiledFunction, run_function)
    pool.py      the worker processes: one run per worker at a time, killed at the deadline
    worker.py    the zygote that forks warm workers, and a worker's main loop
    engine.py    the QuickJS context with CloudFront's restrictions (runs inside workers only)
    wire.py      the messages between them
"""
