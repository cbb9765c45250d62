"""`hostlab measure`: probe every assumption setting of the local backend on a backend, write a calibration.

On the aws backend the probes measure what AWS does and write ``calibrations/<date>-<region>.json``; on the
local backend the same code runs against the emulator, which is how the probes are tested (a backend started
with a setting changed must be reported with the new value). The file's schema is in calibrations/README.md;
HOSTLAB_CALIBRATION=<file> makes the local backend behave as the file says (hostlab.calibration).

Rooms, one job each:
    entries.py            what a probe returns (an entry per setting, observations) and the probe list type
    scrub.py              removes account IDs, ARNs, resource IDs, names and keys from anything written
    resources.py          the probe's own App Runner service and distribution, tagged project=hostlab-measure
    apprunner_probes.py   App Runner's front: TLS versions, an unknown Host, a paused service
    cloudfront_probes.py  CloudFront: stored OriginSslProtocols, error caching, config changes, origin SNI
    writer.py             the partial (resume) file and the dated calibration file
    runner.py             order, estimate, resume, cleanup before and after (also on failure and Ctrl-C)
"""

from hostlab.measure.runner import Estimate, estimate, run

__all__ = ["Estimate", "estimate", "run"]
