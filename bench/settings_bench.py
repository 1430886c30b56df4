"""Settings for the benchmarks: the product's settings plus the django-import-export comparison app."""

import os
from pathlib import Path

from pcc_dashboard.settings import *  # noqa: F403
from pcc_dashboard.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "import_export", "bench.iebench"]
# The freeze and import benchmarks hold one connection for minutes; no pooling surprises.
DEBUG = False

# The page-weight and throughput benchmarks collect static files to a throwaway folder.
if os.environ.get("STATIC_ROOT_OVERRIDE"):
    STATIC_ROOT = Path(os.environ["STATIC_ROOT_OVERRIDE"])
