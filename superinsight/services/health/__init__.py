"""Is every service behind the workbench answering, how fast, and what is it doing?

`probes` asks each service under a deadline, `queue` lists and retries failed
jobs, `history` keeps probe latencies in the cache, `report` puts the page's
answer together for a viewer.
"""

from superinsight.services.health.probes import CHECKS, ServiceHealth, check_one, check_services

__all__ = ["CHECKS", "ServiceHealth", "check_one", "check_services"]
