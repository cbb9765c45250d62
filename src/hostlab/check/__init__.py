"""`hostlab check`: a reader's CloudFront configuration, run on the local edge, judged by the post's rules.

    inputs/      read a CloudFormation template, a Terraform directory or plan, a DistributionConfig JSON or a
                 live distribution into the same model (hostlab.check.model)
    origins.py   decide each origin's kind (App Runner, Express Mode, ALB, ...)
    standup.py   create the origin's stand-in and the distribution on a private local backend
    probes.py    the checks: one probe set per behaviour
    report.py    the table, JSON and JUnit output
    runner.py    check(paths, ...) -> Report: the Python entry point that `hostlab check` calls
"""
